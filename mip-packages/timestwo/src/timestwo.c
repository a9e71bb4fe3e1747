/* timestwo(X): returns 2*X for a real double matrix X. */
#include "mex.h"

void mexFunction(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]) {
  if (nrhs != 1 || !mxIsDouble(prhs[0]) || mxIsComplex(prhs[0])) {
    mexErrMsgIdAndTxt("timestwo:input", "timestwo takes one real double matrix");
  }
  (void)nlhs;
  size_t n = mxGetNumberOfElements(prhs[0]);
  plhs[0] = mxCreateDoubleMatrix(mxGetM(prhs[0]), mxGetN(prhs[0]), mxREAL);
  const double *in = mxGetPr(prhs[0]);
  double *out = mxGetPr(plhs[0]);
  for (size_t i = 0; i < n; i++) out[i] = 2.0 * in[i];
}
