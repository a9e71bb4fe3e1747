# The version of this project, read by the Nix build; wheel-release keeps it equal to release.yaml.
{ pkgs, ... }:

let
  major = 0;
  minor = 2;
  patch = 30;
  prerelease = ""; # e.g. "rc1"; empty for a release

  baseVersion = "${builtins.toString major}.${builtins.toString minor}.${builtins.toString patch}";
  version = baseVersion + (if prerelease != "" then "-${prerelease}" else "");
in
{
  inherit major minor patch prerelease version;
  cargo = { inherit version; };
  python = { inherit version; };
}
