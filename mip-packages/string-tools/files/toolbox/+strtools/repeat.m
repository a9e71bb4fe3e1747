function out = repeat(s, n)
%REPEAT Concatenate N copies of S.
  out = repmat(s, 1, n);
end
