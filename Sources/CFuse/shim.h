#ifndef PKGFS_CFUSE_SHIM_H
#define PKGFS_CFUSE_SHIM_H
// 312, not 35: at 35 fuse_session_loop_mt is a macro Swift cannot call.
#define FUSE_USE_VERSION 312
#include <fuse3/fuse_lowlevel.h>
#include <malloc.h> /* malloc_trim */
#include <sys/xattr.h>
#include "passthrough.h"
#endif
