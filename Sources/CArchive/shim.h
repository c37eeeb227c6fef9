#ifndef PKGFS_CARCHIVE_SHIM_H
#define PKGFS_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>
#endif
