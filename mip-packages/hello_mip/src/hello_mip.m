function msg = hello_mip(name)
%HELLO_MIP Return a greeting for NAME.
%   msg = hello_mip('world') returns 'Hello, world!'.
  if nargin < 1
    name = 'world';
  end
  msg = sprintf('Hello, %s!', name);
end
