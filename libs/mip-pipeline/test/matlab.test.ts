import { renderLoadPackage, renderUnloadPackage } from '@packyard/mip-pipeline';

describe('load_package.m and unload_package.m', () => {
  it('add and remove the package folder and each path, quotes doubled', () => {
    expect(renderLoadPackage(['.', "it's"])).toBe(
      [
        'function load_package()',
        '    % Add package directories to MATLAB path',
        "    pkg_dir = fileparts(mfilename('fullpath'));",
        '    addpath(pkg_dir);',
        "    addpath(fullfile(pkg_dir, 'it''s'));",
        'end',
        '',
      ].join('\n'),
    );
    expect(renderUnloadPackage(['toolbox'])).toBe(
      [
        'function unload_package()',
        '    % Remove package directories from MATLAB path',
        "    pkg_dir = fileparts(mfilename('fullpath'));",
        "    rmpath(fullfile(pkg_dir, 'toolbox'));",
        'end',
        '',
      ].join('\n'),
    );
  });
});
