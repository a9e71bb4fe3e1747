% Builds timestwo's MEX file; runs with the current folder set to the package root.
if exist('OCTAVE_VERSION', 'builtin')
  % Octave names MEX files .mex.
  status = system('mkoctfile --mex timestwo.c');
  if status ~= 0
    error('timestwo:compile', 'mkoctfile --mex failed with status %d', status);
  end
else
  mex timestwo.c
end
delete('*.o');
