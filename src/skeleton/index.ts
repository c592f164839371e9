// Typed skeletons of BPF objects (`tsbpf gen skeleton`): generateSkeleton turns an object's BTF
// into one TypeScript module with codecs and handles. Browser-safe: text out, no Node.
export { generateSkeleton, type SkeletonOptions } from './generate.js';
