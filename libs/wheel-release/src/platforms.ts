import { PackyardError, formatPlatform, hostPlatform } from '@packyard/core';

// The wheel platforms, the Rust targets and CI runners that build them, and this machine's platform,
// taken from core's one hostPlatform: every part of the release (the release.yaml schema, the build
// plan, verify) reads them from here.

/** A wheel platform packyard builds, and the Rust target maturin builds it for. */
export const WHEEL_TARGETS: Readonly<Record<string, string>> = Object.freeze({
  'linux-amd64': 'x86_64-unknown-linux-gnu',
  'linux-arm64': 'aarch64-unknown-linux-gnu',
  'darwin-amd64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
});

/** The GitHub Actions runner label that builds a platform natively (the labels hermit-pex uses). */
export const NATIVE_RUNNERS: Readonly<Record<string, string>> = Object.freeze({
  'linux-amd64': 'ubuntu-24.04',
  'linux-arm64': 'ubuntu-24.04-arm',
  'darwin-amd64': 'macos-15-intel',
  'darwin-arm64': 'macos-15',
});

/** The Rust target of a wheel platform; CONFIG_INVALID for a platform packyard does not build. Pure. */
export function wheelTarget(platform: string): string {
  const target = WHEEL_TARGETS[platform];
  if (target === undefined) {
    throw new PackyardError('CONFIG_INVALID', `unknown platform ${JSON.stringify(platform)}`, {
      field: 'platforms',
      value: platform,
      hint: `use ${Object.keys(WHEEL_TARGETS).join(', ')}`,
    });
  }
  return target;
}

/** This machine's wheel platform (`linux-amd64`), from core's `hostPlatform`; CONFIG_INVALID elsewhere. */
export function hostWheelPlatform(): string {
  return formatPlatform(hostPlatform());
}
