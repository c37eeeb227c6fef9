import CFuse
import Foundation

private let setAttrMode: Int32 = 1 << 0
private let setAttrUID: Int32 = 1 << 1
private let setAttrGID: Int32 = 1 << 2
private let setAttrSize: Int32 = 1 << 3
private let setAttrMtime: Int32 = 1 << 5
private let setAttrMtimeNow: Int32 = 1 << 8
private let maxWrite: UInt32 = 1 << 20

/// The libfuse low-level op table: one closure per op, each calling one method of the
/// filesystem and replying exactly once.
///
/// Built in a nonisolated function outside `main.swift`: closures made in main-actor code
/// would be inferred main-actor isolated and trap when libfuse's worker threads call them.
func makeOperations() -> fuse_lowlevel_ops {
    var ops = fuse_lowlevel_ops()

    ops.`init` = { userdata, conn in
        guard let conn else { return }
        // The kernel opens directories itself, caching listings until we invalidate them:
        // `find` over a warm tree then costs no request per directory.
        if conn.pointee.capable & UInt32(FUSE_CAP_NO_OPENDIR_SUPPORT) != 0, let userdata {
            FuseContext.fromUserdata(userdata).withoutOpendir = true
        }
        conn.pointee.max_write = maxWrite
        conn.pointee.max_readahead = maxWrite
        // Our own inode numbers and handles; no splice, no writeback cache: each write
        // reaches the upload session in order so it can be hashed inline.
        conn.pointee.want &= ~UInt32(FUSE_CAP_WRITEBACK_CACHE)
        // No FUSE_CAP_POSIX_ACL: ACL names are answered "not supported" (see the tree's getxattr),
        // which `ls -l` remembers for the whole mount; with the kernel's ACL cache it would ask
        // once per inode, and again whenever a listing refreshes that inode.
        // Link targets stay in the kernel until invalidated, like names and attributes.
        if conn.pointee.capable & UInt32(FUSE_CAP_CACHE_SYMLINKS) != 0 {
            conn.pointee.want |= UInt32(FUSE_CAP_CACHE_SYMLINKS)
        }
    }

    ops.lookup = { req, parent, name in
        let ctx = FuseContext.from(req)
        // Every name pkgfs shows is UTF-8; bytes that are not would be repaired to U+FFFD and
        // could find another entry.
        guard let n = String(validatingCString: name!) else { fuse_reply_err(req, ENOENT); return }
        do {
            var e = entryParam(try ctx.fs.lookup(parent: parent, name: n, caller: caller(req)))
            fuse_reply_entry(req, &e)
        } catch { replyError(req, error, ctx, "lookup \(ctx.path(parent, n))") }
    }

    ops.forget = { req, ino, count in
        let ctx = FuseContext.from(req)
        ctx.fs.forget(ino, count: count)
        ctx.heapTrimmer.freed(1)
        fuse_reply_none(req)
    }
    ops.forget_multi = { req, count, forgets in
        let ctx = FuseContext.from(req)
        if let forgets {
            for i in 0..<count { ctx.fs.forget(forgets[i].ino, count: forgets[i].nlookup) }
        }
        ctx.heapTrimmer.freed(count)
        fuse_reply_none(req)
    }

    ops.getattr = { req, ino, _ in
        let ctx = FuseContext.from(req)
        do {
            let e = try ctx.fs.getattr(ino)
            var st = statStruct(e.attributes)
            fuse_reply_attr(req, &st, e.attributeTimeout)
        } catch { replyError(req, error, ctx, "getattr \(ctx.path(ino))") }
    }

    ops.setattr = { req, ino, attr, toSet, fi in
        let ctx = FuseContext.from(req)
        var changes = AttributeChanges()
        if let attr {
            if toSet & setAttrSize != 0 { changes.size = Int64(attr.pointee.st_size) }
            if toSet & setAttrMode != 0 { changes.mode = attr.pointee.st_mode }
            if toSet & setAttrMtime != 0 {
                changes.mtime = Double(attr.pointee.st_mtim.tv_sec) + Double(attr.pointee.st_mtim.tv_nsec) / 1e9
            }
        }
        if toSet & setAttrMtimeNow != 0 { changes.mtime = Date().timeIntervalSince1970 }
        if toSet & (setAttrUID | setAttrGID) != 0 { changes.ownerChange = true }
        do {
            let e = try ctx.fs.setattr(ino, handle: fi?.pointee.fh, changes: changes, caller: caller(req))
            var st = statStruct(e.attributes)
            fuse_reply_attr(req, &st, e.attributeTimeout)
        } catch { replyError(req, error, ctx, "setattr \(ctx.path(ino))") }
    }

    ops.readlink = { req, ino in
        let ctx = FuseContext.from(req)
        do {
            let target = try ctx.fs.readlink(ino)
            fuse_reply_readlink(req, target)
        } catch { replyError(req, error, ctx, "readlink \(ctx.path(ino))") }
    }

    ops.opendir = { req, ino, fi in
        let ctx = FuseContext.from(req)
        if ctx.withoutOpendir {
            // "Success, and never ask again": the kernel opens directories from now on, with
            // keep_cache and cache_readdir, and sends no releasedir.
            fuse_reply_err(req, ENOSYS)
            return
        }
        do {
            let listing = try ctx.fs.opendir(ino)
            if let fi {
                fi.pointee.fh = ctx.storeListing(listing)
                fi.pointee.cache_readdir = listing.mayBeCached ? 1 : 0
                fi.pointee.keep_cache = listing.mayBeCached ? 1 : 0
            }
            fuse_reply_open(req, fi)
        } catch { replyError(req, error, ctx, "opendir \(ctx.path(ino))") }
    }

    ops.readdir = { req, ino, size, offset, fi in
        replyListingPage(req, ino, size, offset, fi) { _, _, e, buffer, room, next in
            var st = stat()
            st.st_ino = UInt(e.ino)
            st.st_mode = e.mode
            return fuse_add_direntry(req, buffer, room, e.name, &st, next)
        }
    }

    // Names with their attributes, so `ls -l`, `find` and `stat` of what was listed need no
    // lookup round trip each. "." and ".." go without (ino 0), as does a name whose entry
    // cannot be had: the kernel looks it up as usual.
    ops.readdirplus = { req, ino, size, offset, fi in
        replyListingPage(req, ino, size, offset, fi, plus: true) { ctx, full, e, buffer, room, next in
            var param = fuse_entry_param()
            if let full {
                param = entryParam(full)
            } else {
                param.attr.st_ino = UInt(e.ino)
                param.attr.st_mode = e.mode
            }
            let needed = fuse_add_direntry_plus(req, buffer, room, e.name, &param, next)
            // Not sent, so the kernel holds no reference for it: give back the one taken.
            if needed > room && param.ino != 0 { ctx.fs.forget(param.ino, count: 1) }
            return needed
        }
    }

    ops.releasedir = { req, _, fi in
        let ctx = FuseContext.from(req)
        if let fi { ctx.dropListing(fi.pointee.fh) }
        fuse_reply_err(req, 0)
    }

    ops.open = { req, ino, fi in
        let ctx = FuseContext.from(req)
        do {
            let reply = try ctx.fs.open(ino, flags: fi?.pointee.flags ?? 0, caller: caller(req))
            applyOpenReply(reply, fi)
            let backingID: Int32?
            do {
                backingID = try reply.passthroughFD.flatMap {
                    try ctx.passthrough.register($0, ino: ino, handle: reply.handle, device: ctx.device, logger: ctx.logger)
                }
            } catch {
                ctx.fs.release(ino, handle: reply.handle)
                throw error
            }
            if let backingID, let fi { pkgfs_reply_open_passthrough(req, fi, backingID) }
            else { fuse_reply_open(req, fi) }
        } catch { replyError(req, error, ctx, "open \(ctx.path(ino))") }
    }

    ops.read = { req, ino, size, offset, fi in
        let ctx = FuseContext.from(req)
        do {
            let bytes = try ctx.fs.read(ino, handle: fi?.pointee.fh ?? 0, offset: Int64(offset), size: size)
            replyBytes(req, bytes)
        } catch { replyError(req, error, ctx, "read \(ctx.path(ino))") }
    }

    ops.write = { req, ino, buf, size, offset, fi in
        let ctx = FuseContext.from(req)
        do {
            let data = UnsafeRawBufferPointer(start: buf, count: size)
            let written = try ctx.fs.write(ino, handle: fi?.pointee.fh ?? 0, offset: Int64(offset),
                                           data: data, caller: caller(req))
            fuse_reply_write(req, written)
        } catch { replyError(req, error, ctx, "write \(ctx.path(ino))") }
    }

    // close() returns once what the flush changed is gone from the kernel's caches.
    ops.flush = { req, ino, fi in
        let ctx = FuseContext.from(req)
        replyAfterChange(req, ctx, "close \(ctx.path(ino))") {
            try ctx.fs.flush(ino, handle: fi?.pointee.fh ?? 0, caller: caller(req))
        }
    }

    ops.release = { req, ino, fi in
        let ctx = FuseContext.from(req)
        ctx.passthrough.release(handle: fi?.pointee.fh ?? 0, device: ctx.device)
        ctx.fs.release(ino, handle: fi?.pointee.fh ?? 0)
        fuse_reply_err(req, 0)
    }

    ops.fsync = { req, _, _, _ in fuse_reply_err(req, 0) }

    ops.create = { req, parent, name, mode, fi in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        guard String(validatingCString: name!) != nil else {
            return replyError(req, notUTF8(n), ctx, "create \(ctx.path(parent, n))")
        }
        do {
            let (entry, reply) = try ctx.fs.create(parent: parent, name: n, mode: mode,
                                                   flags: fi?.pointee.flags ?? 0, caller: caller(req))
            applyOpenReply(reply, fi)
            var e = entryParam(entry)
            fuse_reply_create(req, &e, fi)
        } catch { replyError(req, error, ctx, "create \(ctx.path(parent, n))") }
    }

    ops.unlink = { req, parent, name in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        // The kernel holds the directory's lock (and the file's, which no invalidation takes).
        replyAfterChange(req, ctx, locked: [parent], "unlink \(ctx.path(parent, n))") {
            try ctx.fs.unlink(parent: parent, name: n, caller: caller(req))
        }
    }

    ops.rmdir = { req, parent, name in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        let removed = ctx.fs.heldInode(named: n, in: parent)
        replyAfterChange(req, ctx, locked: Set([parent, removed].compactMap { $0 }), "rmdir \(ctx.path(parent, n))") {
            try ctx.fs.rmdir(parent: parent, name: n, caller: caller(req))
        }
    }

    ops.rename = { req, parent, name, newParent, newName, flags in
        let ctx = FuseContext.from(req)
        let (n, nn) = (String(cString: name!), String(cString: newName!))
        guard String(validatingCString: newName!) != nil else {
            return replyError(req, notUTF8(nn), ctx, "rename \(ctx.path(parent, n)) to \(ctx.path(newParent, nn))")
        }
        replyAfterChange(req, ctx, locked: [parent, newParent], "rename \(ctx.path(parent, n)) to \(ctx.path(newParent, nn))") {
            try ctx.fs.rename(parent: parent, name: n, newParent: newParent, newName: nn, flags: flags, caller: caller(req))
        }
    }

    // The tree is made from the packages: nothing else can be made in it (refused here, and logged).
    ops.mkdir = { req, parent, name, _ in
        refuse(req, "directories come from the packages; upload with cp into incoming/") { "mkdir \($0.path(parent, String(cString: name!)))" }
    }
    ops.symlink = { req, _, parent, name in
        refuse(req, "links come from the packages; upload with cp into incoming/") { "symlink \($0.path(parent, String(cString: name!)))" }
    }
    ops.mknod = { req, parent, name, _, _ in
        refuse(req, "only regular files can be created, in incoming/") { "mknod \($0.path(parent, String(cString: name!)))" }
    }
    ops.link = { req, ino, newParent, newName in
        refuse(req, "hard links cannot be made here; upload with cp into incoming/") {
            "link \($0.path(ino)) to \($0.path(newParent, String(cString: newName!)))"
        }
    }

    ops.getxattr = { req, ino, name, size in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        do {
            let value = try ctx.fs.getxattr(ino, name: n)
            if size == 0 {
                fuse_reply_xattr(req, value.count)
            } else if size < value.count {
                fuse_reply_err(req, ERANGE)
            } else {
                replyBytes(req, value)
            }
        } catch { replyError(req, error, ctx, "getxattr \(ctx.path(ino)) \(n)") }
    }

    ops.listxattr = { req, ino, size in
        let ctx = FuseContext.from(req)
        do {
            let bytes: [UInt8] = try ctx.fs.listxattr(ino).flatMap { name -> [UInt8] in Array(name.utf8) + [0] }
            if size == 0 {
                fuse_reply_xattr(req, bytes.count)
            } else if size < bytes.count {
                fuse_reply_err(req, ERANGE)
            } else {
                replyBytes(req, bytes)
            }
        } catch { replyError(req, error, ctx, "listxattr \(ctx.path(ino))") }
    }

    ops.setxattr = { req, ino, name, value, size, flags in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
        replyAfterChange(req, ctx, locked: [ino], "setxattr \(ctx.path(ino)) \(n)") {
            try ctx.fs.setxattr(ino, name: n, value: bytes, flags: flags, caller: caller(req))
        }
    }

    ops.removexattr = { req, ino, name in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        replyAfterChange(req, ctx, locked: [ino], "removexattr \(ctx.path(ino)) \(n)") {
            try ctx.fs.removexattr(ino, name: n, caller: caller(req))
        }
    }

    ops.statfs = { req, _ in
        let ctx = FuseContext.from(req)
        let s = ctx.fs.statfs()
        var st = statvfs()
        st.f_bsize = UInt(s.blockSize)
        st.f_frsize = UInt(s.blockSize)
        st.f_blocks = UInt(s.blocks)
        st.f_bfree = UInt(s.freeBlocks)
        st.f_bavail = UInt(s.freeBlocks)
        st.f_files = UInt(s.files)
        st.f_ffree = UInt(s.freeFiles)
        st.f_favail = UInt(s.freeFiles)
        st.f_namemax = 255
        fuse_reply_statfs(req, &st)
    }

    return ops
}

/// At most this many names of a readdirplus page carry their attributes. The kernel asks with
/// readdirplus for a directory's first page, then for more only once a reader looks at the
/// entries (`ls -l`, `stat`); a page of 1 MiB held about 3,000 names, each an inode made by
/// pkgfs and by the kernel whether `ls` wanted it or not. A first `ls` of a search of 12,988
/// hits took 52–58 ms with them, 33–40 ms with 256 (cold `find` and `ls -laR` of 100,000
/// packages unchanged: 43–49 / 77–81 s against 43 / 76–80 s).
public let maxEntriesWithAttributes = 256

/// Replies to a readdir or readdirplus with the names from `offset` on that fit in `size` bytes.
/// Offsets count "." and ".." first, then the listing's names: offset k resumes at name k.
/// `add` writes one name (with its full entry for readdirplus: nil for the dots and for names
/// without one) into the room left and returns the bytes it needs; more than the room means it
/// did not fit and the page ends there.
private func replyListingPage(
    _ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t, _ fi: UnsafeMutablePointer<fuse_file_info>?,
    plus: Bool = false,
    add: (FuseContext, Entry?, DirectoryEntry, UnsafeMutablePointer<CChar>, Int, off_t) -> Int
) {
    let ctx = FuseContext.from(req)
    let listing: any DirectoryListing
    let cookie: ListingCookie?
    do {
        (listing, cookie) = try directoryListing(ctx, ino, fi, offset)
        try listing.load()
    } catch { return replyError(req, error, ctx, "readdir \(ctx.path(ino))") }
    // Up to the caller's getdents size (1 MiB for find): not zeroed, only the used part is sent.
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    defer { buffer.deallocate() }
    var used = 0
    let first = cookie?.position ?? Int(offset)
    var index = first
    var nameLengths: [Int] = []
    let end = plus ? min(listing.count + 2, index + maxEntriesWithAttributes) : listing.count + 2
    while index < end {
        let name = index < 2 ? dotEntry(index, ino) : listing.entry(at: index - 2)
        let full = plus && index >= 2 ? listing.entryPlus(at: index - 2) : nil
        let needed = add(ctx, full, name, buffer + used, size - used, cookie?.offset(after: index) ?? off_t(index + 1))
        if used + needed > size { break }
        used += needed
        index += 1
        if cookie != nil { nameLengths.append(name.name.utf8.count) }
    }
    if let cookie, !nameLengths.isEmpty {
        ctx.sent(ofDirectory: ino, number: cookie.number, from: first, nameLengths: nameLengths)
    }
    // The end of a listing read without opendir: it is not kept any longer. This empty reply
    // also makes the kernel's cached listing complete, when it was filled from this reader's
    // pages. A reader paging through a listing of its own, now or after a pause of any length,
    // then looks for its next position among the cached names, where it is not (its offsets
    // carry its listing's number), and falls back to asking pkgfs; but when the cached names
    // end exactly at a page boundary, the kernel (fs/fuse/readdir.c, Linux 6.18) takes the end
    // of that page for the end of the directory, and that reader's listing ends early: 25 of
    // 256 names, for 254 names of up to eight bytes. Such a listing's cached pages are dropped
    // before the kernel can take them as complete: that directory is listed by pkgfs each time.
    if used == 0, let cookie, ctx.finishedListing(ofDirectory: ino, number: cookie.number) {
        ctx.notifier?.dropCachedListing(ino)
    }
    fuse_reply_buf(req, buffer, used)
}

/// The listing a readdir pages through: the one opendir made (offsets are positions), or
/// without opendir support this reader's own (its offsets are `ListingCookie`s).
private func directoryListing(_ ctx: FuseContext, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?,
                              _ offset: off_t) throws -> (any DirectoryListing, ListingCookie?) {
    if let fh = fi?.pointee.fh, fh != 0 {
        guard let listing = ctx.listing(fh) else { throw FSError(EBADF) }
        return (listing, nil)
    }
    let (listing, cookie) = try ctx.listing(ofDirectory: ino, offset: Int(offset))
    return (listing, cookie)
}

/// "." (index 0) and ".." (index 1) of directory `ino`; ".." is answered as the root, which the
/// kernel never uses (it keeps its own parent links).
func dotEntry(_ index: Int, _ ino: fuse_ino_t) -> DirectoryEntry {
    DirectoryEntry(name: index == 0 ? "." : "..", ino: index == 0 ? ino : 1, mode: UInt32(Glibc.S_IFDIR))
}
