// A stand-in source: the boundary cases are only configured, never built.
int twinplanBoundaryStub() { return 0; }
