function out = titlecase(s)
%TITLECASE Upper-case the first letter of every word of S.
  out = s;
  if isempty(s)
    return;
  end
  starts = [1, find(isspace(s(1:end-1))) + 1];
  out(starts) = upper(out(starts));
end
