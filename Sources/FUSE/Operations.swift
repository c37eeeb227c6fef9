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

    ops.`init` = { _, conn in
        guard let conn else { return }
        conn.pointee.max_write = maxWrite
        conn.pointee.max_readahead = maxWrite
        // Our own inode numbers and handles; no splice, no writeback cache: each write
        // reaches the upload session in order so it can be hashed inline.
        conn.pointee.want &= ~UInt32(FUSE_CAP_WRITEBACK_CACHE)
    }

    ops.lookup = { req, parent, name in
        let ctx = FuseContext.from(req)
        // Every name pkgfs shows is UTF-8; bytes that are not would be repaired to U+FFFD and
        // could find another entry.
        guard let n = String(validatingCString: name!) else { fuse_reply_err(req, ENOENT); return }
        do {
            var e = entryParam(try ctx.fs.lookup(parent: parent, name: n))
            fuse_reply_entry(req, &e)
        } catch { replyError(req, error, ctx, "lookup \(parent)/\(n)") }
    }

    ops.forget = { req, _, _ in fuse_reply_none(req) }
    ops.forget_multi = { req, _, _ in fuse_reply_none(req) }

    ops.getattr = { req, ino, _ in
        let ctx = FuseContext.from(req)
        do {
            let e = try ctx.fs.getattr(ino)
            var st = statStruct(e.attributes)
            fuse_reply_attr(req, &st, e.attributeTimeout)
        } catch { replyError(req, error, ctx, "getattr \(ino)") }
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
        } catch { replyError(req, error, ctx, "setattr \(ino)") }
    }

    ops.readlink = { req, ino in
        let ctx = FuseContext.from(req)
        do {
            let target = try ctx.fs.readlink(ino)
            fuse_reply_readlink(req, target)
        } catch { replyError(req, error, ctx, "readlink \(ino)") }
    }

    ops.opendir = { req, ino, fi in
        let ctx = FuseContext.from(req)
        do {
            // "." and ".." are added once here: readdir is called once per kernel page of a
            // listing, and must not copy the whole listing each time.
            let directory = UInt32(Glibc.S_IFDIR)
            let dots = [DirectoryEntry(name: ".", ino: ino, mode: directory),
                        DirectoryEntry(name: "..", ino: 1, mode: directory)]
            let entries = dots + (try ctx.fs.readdir(ino))
            fi?.pointee.fh = ctx.storeListing(entries)
            fuse_reply_open(req, fi)
        } catch { replyError(req, error, ctx, "opendir \(ino)") }
    }

    ops.readdir = { req, _, size, offset, fi in
        let ctx = FuseContext.from(req)
        guard let fi, let all = ctx.listing(fi.pointee.fh) else {
            fuse_reply_err(req, EBADF)
            return
        }
        var buffer = [CChar](repeating: 0, count: size)
        var used = 0
        var index = Int(offset)
        while index < all.count {
            let e = all[index]
            var st = stat()
            st.st_ino = UInt(e.ino)
            st.st_mode = e.mode
            let needed = buffer.withUnsafeMutableBufferPointer { buf in
                fuse_add_direntry(req, buf.baseAddress! + used, size - used, e.name, &st, off_t(index + 1))
            }
            if used + needed > size { break }
            used += needed
            index += 1
        }
        buffer.withUnsafeBufferPointer { _ = fuse_reply_buf(req, $0.baseAddress, used) }
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
            fuse_reply_open(req, fi)
        } catch { replyError(req, error, ctx, "open \(ino)") }
    }

    ops.read = { req, ino, size, offset, fi in
        let ctx = FuseContext.from(req)
        do {
            let bytes = try ctx.fs.read(ino, handle: fi?.pointee.fh ?? 0, offset: Int64(offset), size: size)
            replyBytes(req, bytes)
        } catch { replyError(req, error, ctx, "read \(ino)") }
    }

    ops.write = { req, ino, buf, size, offset, fi in
        let ctx = FuseContext.from(req)
        do {
            let data = UnsafeRawBufferPointer(start: buf, count: size)
            let written = try ctx.fs.write(ino, handle: fi?.pointee.fh ?? 0, offset: Int64(offset),
                                           data: data, caller: caller(req))
            fuse_reply_write(req, written)
        } catch { replyError(req, error, ctx, "write \(ino)") }
    }

    ops.flush = { req, ino, fi in
        let ctx = FuseContext.from(req)
        do {
            try ctx.fs.flush(ino, handle: fi?.pointee.fh ?? 0, caller: caller(req))
            fuse_reply_err(req, 0)
        } catch { replyError(req, error, ctx, "close \(ino)") }
    }

    ops.release = { req, ino, fi in
        let ctx = FuseContext.from(req)
        ctx.fs.release(ino, handle: fi?.pointee.fh ?? 0)
        fuse_reply_err(req, 0)
    }

    ops.fsync = { req, _, _, _ in fuse_reply_err(req, 0) }

    ops.create = { req, parent, name, mode, fi in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        guard String(validatingCString: name!) != nil else {
            // Repairing the bytes to U+FFFD would register another name than the one created.
            return replyError(req, FSError.invalid("\(n.debugDescription) is not a valid package file name: its bytes are not UTF-8"),
                              ctx, "create \(parent)/\(n)")
        }
        do {
            let (entry, reply) = try ctx.fs.create(parent: parent, name: n, mode: mode,
                                                   flags: fi?.pointee.flags ?? 0, caller: caller(req))
            applyOpenReply(reply, fi)
            var e = entryParam(entry)
            fuse_reply_create(req, &e, fi)
        } catch { replyError(req, error, ctx, "create \(parent)/\(n)") }
    }

    ops.unlink = { req, parent, name in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        do {
            try ctx.fs.unlink(parent: parent, name: n, caller: caller(req))
            fuse_reply_err(req, 0)
        } catch { replyError(req, error, ctx, "unlink \(parent)/\(n)") }
    }

    ops.rmdir = { req, parent, name in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        do {
            try ctx.fs.rmdir(parent: parent, name: n, caller: caller(req))
            fuse_reply_err(req, 0)
        } catch { replyError(req, error, ctx, "rmdir \(parent)/\(n)") }
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
        } catch { replyError(req, error, ctx, "getxattr \(ino) \(n)") }
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
        } catch { replyError(req, error, ctx, "listxattr \(ino)") }
    }

    ops.setxattr = { req, ino, name, value, size, _ in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
        do {
            try ctx.fs.setxattr(ino, name: n, value: bytes, caller: caller(req))
            fuse_reply_err(req, 0)
        } catch { replyError(req, error, ctx, "setxattr \(ino) \(n)") }
    }

    ops.removexattr = { req, ino, name in
        let ctx = FuseContext.from(req)
        let n = String(cString: name!)
        do {
            try ctx.fs.removexattr(ino, name: n, caller: caller(req))
            fuse_reply_err(req, 0)
        } catch { replyError(req, error, ctx, "removexattr \(ino) \(n)") }
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
