import CFuse
import Foundation
import Logging

/// The one place where Swift errors become errno replies, and where refusals are logged.
func replyError(_ req: fuse_req_t?, _ error: any Error, _ context: FuseContext, _ what: @autoclosure () -> String) {
    let code: Int32
    let message: String
    let routine: Bool
    if let fsError = error as? FSError {
        code = fsError.errno
        message = fsError.message
        routine = fsError.isRoutine
    } else {
        code = EIO
        message = "\(error)"
        routine = false
    }
    if !routine {
        context.logger.notice("\(what()): \(message.isEmpty ? String(cString: strerror(code)) : message) [errno \(code)]")
    }
    fuse_reply_err(req, code)
}

/// EACCES for an operation the tree never allows, logged as `what` names it.
func refuse(_ req: fuse_req_t?, _ why: String, _ what: (FuseContext) -> String) {
    let context = FuseContext.from(req)
    replyError(req, FSError.accessDenied(why), context, what(context))
}

/// A new name whose bytes are not UTF-8: repaired to U+FFFD it would register another name than
/// the one asked for.
func notUTF8(_ name: String) -> FSError {
    FSError.invalid("\(name.debugDescription) is not a valid package file name: its bytes are not UTF-8")
}

func statStruct(_ a: Attributes) -> stat {
    var st = stat()
    st.st_ino = UInt(a.ino)
    st.st_mode = a.mode
    st.st_nlink = UInt(a.nlink)
    st.st_uid = a.uid
    st.st_gid = a.gid
    st.st_size = Int(a.size)
    // cp and cat size their buffers by st_blksize: 1 MiB means one FUSE request per MiB, not per 128 KiB.
    st.st_blksize = 1 << 20
    st.st_blocks = Int((a.size + 511) / 512)
    let seconds = a.mtime.rounded(.down)
    let time = timespec(tv_sec: Int(seconds), tv_nsec: Int((a.mtime - seconds) * 1_000_000_000))
    st.st_mtim = time
    st.st_ctim = time
    st.st_atim = time
    return st
}

func entryParam(_ e: Entry) -> fuse_entry_param {
    var p = fuse_entry_param()
    p.ino = e.attributes.ino
    p.generation = 1
    p.attr = statStruct(e.attributes)
    p.attr_timeout = e.attributeTimeout
    p.entry_timeout = e.entryTimeout
    return p
}

func caller(_ req: fuse_req_t?) -> Caller {
    guard let ctx = fuse_req_ctx(req) else { return Caller(uid: 0, gid: 0, pid: 0) }
    return Caller(uid: ctx.pointee.uid, gid: ctx.pointee.gid, pid: ctx.pointee.pid)
}

func applyOpenReply(_ reply: OpenReply, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return }
    fi.pointee.fh = reply.handle
    fi.pointee.direct_io = reply.directIO ? 1 : 0
    fi.pointee.keep_cache = reply.keepCache ? 1 : 0
    fi.pointee.noflush = reply.noFlush ? 1 : 0
}

func replyBytes(_ req: fuse_req_t?, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        _ = fuse_reply_buf(req, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
    }
}

/// Answers a request that may change what the tree shows (an upload's close, a delete, a label)
/// once the kernel has been told what changed (see `Notifier.reply(after:holding:_:)`).
/// `locked`: the inodes the kernel holds locked for the request. The reply waits, not the
/// thread: an invalidation may wait for a listing in flight, which needs a free thread.
func replyAfterChange(_ req: fuse_req_t?, _ context: FuseContext, locked: Set<UInt64> = [],
                      _ what: @autoclosure @escaping @Sendable () -> String, _ change: () throws -> Void) {
    let request = PendingRequest(req: req)
    let reply: @Sendable (Result<Void, any Error>) -> Void = { outcome in
        switch outcome {
        case .success: fuse_reply_err(request.req, 0)
        case .failure(let error): replyError(request.req, error, context, what())
        }
    }
    guard let notifier = context.notifier else { return reply(Result { try change() }) }
    notifier.reply(after: { Result { try change() } }, holding: locked, reply)
}

/// A request answered later, from another thread (libfuse takes a reply from any thread).
struct PendingRequest: @unchecked Sendable {
    // @unchecked: a request is answered exactly once, by whichever thread holds this.
    let req: fuse_req_t?
}
