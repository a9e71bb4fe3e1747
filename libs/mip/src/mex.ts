/**
 * Octave's `mex` does not take MATLAB's `VAR=value` arguments (`mex('CXXFLAGS=$CXXFLAGS -std=c++14',
 * 'f.cpp')` fails in Octave with an unknown-argument error). This `mex.m`, put first on Octave's path
 * while a compile.m runs, translates the common forms: `CFLAGS=`, `CXXFLAGS=`, `LDFLAGS=` become the
 * environment variables Octave's mkoctfile reads, with `$NAME` replaced by mkoctfile's own value, and
 * it prints one line saying so. Any other `VAR=value` argument fails naming the argument as
 * MATLAB-only. Everything else goes to `mkoctfile --mex` unchanged, as Octave's own mex does.
 */
export function octaveMexShim(): string {
  return `function mex(varargin)
  % Written by packyard for Octave: translates MATLAB's VAR=value mex arguments.
  args = {};
  for i = 1:numel(varargin)
    arg = varargin{i};
    tok = regexp(arg, '^([A-Za-z_][A-Za-z0-9_]*)=(.*)$', 'tokens', 'once');
    if isempty(tok)
      args{end+1} = arg;
      continue;
    end
    name = tok{1};
    value = tok{2};
    if ~any(strcmp(name, {'CFLAGS', 'CXXFLAGS', 'LDFLAGS'}))
      error('packyard:mex', 'mex argument "%s" is MATLAB-only (VAR=value): Octave''s mex does not take it; packyard translates only CFLAGS=, CXXFLAGS= and LDFLAGS=', arg);
    end
    default = strtrim(mkoctfile('-p', name));
    value = strtrim(strrep(value, ['$' name], default));
    setenv(name, value);
    printf('packyard: translated the MATLAB mex argument "%s" for Octave: %s=%s (environment of mkoctfile)\\n', arg, name, value);
  end
  mkoctfile('--mex', args{:});
end
`;
}
