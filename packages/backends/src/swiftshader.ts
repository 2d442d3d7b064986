/** Where Debian/Ubuntu/Fedora/Arch Chromium packages put SwiftShader's Vulkan ICD manifest. */
export const SWIFTSHADER_ICD_CANDIDATES: readonly string[] = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib/chromium/chromium/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

/**
 * Finds Chromium's SwiftShader Vulkan ICD (a software Vulkan driver Dawn accepts, unlike Mesa's
 * lavapipe 22.x). Returns its path, or undefined. Point VK_ICD_FILENAMES at it to get a
 * software WebGPU adapter in Node.
 */
export function findSwiftShaderIcd(candidates: readonly string[] = SWIFTSHADER_ICD_CANDIDATES): string | undefined {
  // getBuiltinModule keeps this file free of a static node:fs import, so browser bundles still load it.
  const fs = globalThis.process?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  if (fs === undefined) return undefined;
  return candidates.find((path) => fs.existsSync(path));
}
