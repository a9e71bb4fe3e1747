% Builds timestwo's MEX file; runs with the current folder set to the package root.
if exist('OCTAVE_VERSION', 'builtin')
  % Octave names MEX files .mex. The build folder's path reaches the debug information and, through
  % it, the linker's build id: -s strips the one and --build-id=none drops the other, so the same
  % source gives the same bytes wherever it is built.
  status = system('mkoctfile --mex -s -Wl,--build-id=none timestwo.c');
  if status ~= 0
    error('timestwo:compile', 'mkoctfile --mex failed with status %d', status);
  end
else
  mex timestwo.c
end
delete('*.o');
