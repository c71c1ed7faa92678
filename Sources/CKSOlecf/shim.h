// libolecf's header pulls in libbfio's (a separate -dev package) for the file-IO-handle functions, which
// KorSearch does not use: take its feature list, then leave that part out.
#include <libolecf/features.h>
#undef LIBOLECF_HAVE_BFIO
#include <libolecf.h>
