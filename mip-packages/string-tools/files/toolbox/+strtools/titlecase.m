function out = titlecase(s)
%TITLECASE Upper-case the first letter of every word of S.
  out = regexprep(s, '(^|\s)(\w)', '$1${upper($2)}');
end
