#ifndef PKGFS_CFUSE_PASSTHROUGH_H
#define PKGFS_CFUSE_PASSTHROUGH_H
// FUSE passthrough (kernel protocol 7.40, Linux 6.9): the kernel reads an open file's bytes
// from a backing file itself. libfuse 3.14 and its <linux/fuse.h> (7.38) predate it, so the
// few structures and constants it needs are spelled out here, byte for byte as in the kernel's
// uapi header.
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <fuse3/fuse_lowlevel.h>

#define PKGFS_FUSE_INIT 26
#define PKGFS_FUSE_INIT_EXT (1u << 30)
/* FUSE_PASSTHROUGH is bit 37 of the 64 INIT flags: bit 5 of flags2. */
#define PKGFS_FUSE_PASSTHROUGH_FLAGS2 (1u << 5)
#define PKGFS_FOPEN_NOFLUSH (1u << 5)
#define PKGFS_FOPEN_PASSTHROUGH (1u << 7)

struct pkgfs_backing_map {
    int32_t fd;
    uint32_t flags;
    uint64_t padding;
};
#define PKGFS_DEV_IOC_BACKING_OPEN _IOW(229, 1, struct pkgfs_backing_map)
#define PKGFS_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

/* Registers `fd` as a backing file on the /dev/fuse descriptor `dev`: its id (> 0), or -1 with errno. */
static inline int pkgfs_backing_open(int dev, int fd) {
    struct pkgfs_backing_map map = { fd, 0, 0 };
    return ioctl(dev, PKGFS_DEV_IOC_BACKING_OPEN, &map);
}

static inline int pkgfs_backing_close(int dev, int32_t id) {
    uint32_t value = (uint32_t)id;
    return ioctl(dev, PKGFS_DEV_IOC_BACKING_CLOSE, &value);
}

/* Whether `request` (as read from /dev/fuse) is the kernel's INIT and offers passthrough. */
static inline int pkgfs_init_offers_passthrough(const void *request, size_t length) {
    const size_t header = 40; /* struct fuse_in_header */
    if (length < header + 20) return 0;
    uint32_t opcode, flags, flags2;
    memcpy(&opcode, (const char *)request + 4, 4);
    if (opcode != PKGFS_FUSE_INIT) return 0;
    memcpy(&flags, (const char *)request + header + 12, 4);
    memcpy(&flags2, (const char *)request + header + 16, 4);
    return (flags & PKGFS_FUSE_INIT_EXT) && (flags2 & PKGFS_FUSE_PASSTHROUGH_FLAGS2);
}

/* If `iov` is libfuse's successful INIT reply (a 16-byte header and the 64-byte fuse_init_out of
   protocol 7.23+), asks for passthrough in it: FUSE_PASSTHROUGH in flags2 and a stacking depth
   of 1 (backing files on plain filesystems; the mount can still be stacked on once). Returns
   whether it did. Refused by the kernel together with the writeback cache, which pkgfs turns off. */
static inline int pkgfs_request_passthrough(struct iovec *iov, int count) {
    if (count != 2 || iov[0].iov_len != 16 || iov[1].iov_len != 64) return 0;
    int32_t error;
    memcpy(&error, (const char *)iov[0].iov_base + 4, 4);
    if (error != 0) return 0;
    char *out = (char *)iov[1].iov_base;
    uint32_t major, flags, flags2, depth = 1;
    memcpy(&major, out, 4);
    memcpy(&flags, out + 12, 4);
    if (major != 7 || !(flags & PKGFS_FUSE_INIT_EXT)) return 0;
    memcpy(&flags2, out + 32, 4);
    flags2 |= PKGFS_FUSE_PASSTHROUGH_FLAGS2;
    memcpy(out + 32, &flags2, 4);
    memcpy(out + 36, &depth, 4); /* max_stack_depth */
    return 1;
}

/* fuse_reply_open with a backing file: the kernel then reads it directly and sends no READ.
   Only FOPEN_NOFLUSH may go with it (and direct I/O flags): the kernel fails the open with EIO
   on any other flag, keep_cache included, which has no meaning without FUSE's own page cache. */
static inline int pkgfs_reply_open_passthrough(fuse_req_t req, const struct fuse_file_info *fi, int32_t backing_id) {
    struct { uint64_t fh; uint32_t open_flags; int32_t backing_id; } out;
    memset(&out, 0, sizeof(out));
    out.fh = fi->fh;
    out.open_flags = PKGFS_FOPEN_PASSTHROUGH;
    if (fi->noflush) out.open_flags |= PKGFS_FOPEN_NOFLUSH;
    out.backing_id = backing_id;
    return fuse_reply_buf(req, (const char *)&out, sizeof(out));
}
#endif
