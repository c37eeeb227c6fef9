/// Resolves the manifest's images and artifacts against the bundle's listing
/// (`BundleLayout`), and checks each digest by streaming the member (`BundleDigest`).
/// Members are hashed in archive order, each path once, so the archive is decompressed
/// about once however many images it holds.
struct BundleMemberCheck {
    let manifest: BundleManifest
    let entries: [String: PayloadEntry]
    let reader: PayloadReader

    private struct Job {
        var member: Int
        var entry: PayloadEntry
        var expected: String
    }

    func run() -> (members: [BundleMember], problems: [BundleProblem]) {
        var members: [BundleMember] = []
        var jobs: [Job] = []
        var missing: [Int: BundleProblem] = [:]

        for (i, image) in (manifest.images ?? []).enumerated() {
            let candidates = BundleLayout.imageCandidates(image)
            var member = BundleMember(role: .image, index: i, candidates: candidates)
            if let entry = firstFile(candidates) {
                member.path = entry.path
                if BundleFieldCheck.isDigest(image.imageDigest) {
                    jobs.append(Job(member: members.count, entry: entry, expected: image.imageDigest))
                }
            } else if let primary = BundleLayout.primaryImagePath(image) {
                let others = candidates.filter { $0 != primary }
                var detail = "image \(image.reference) expected at \(primary) is missing from the bundle"
                if !others.isEmpty { detail += " (\(others.joined(separator: ", ")) is accepted too)" }
                detail += notFiles(candidates)
                missing[members.count] = BundleProblem(kind: .missing, field: "images[\(i)]",
                                                       title: "Image missing", detail: detail)
            }
            members.append(member)
        }

        for (i, artifact) in (manifest.artifacts ?? []).enumerated() {
            let candidates = BundleLayout.artifactCandidates(artifact)
            var member = BundleMember(role: .artifact, index: i, candidates: candidates)
            if let entry = firstFile(candidates) {
                member.path = entry.path
                if let digest = artifact.artifactDigest, BundleFieldCheck.isDigest(digest) {
                    jobs.append(Job(member: members.count, entry: entry, expected: digest))
                }
            } else if let primary = candidates.first {
                var detail = "artifact \(artifact.artifactName) expected at \(primary) is missing from the bundle"
                if candidates.count > 1 {
                    detail += " (\(candidates.dropFirst().joined(separator: ", ")) is accepted too)"
                }
                detail += notFiles(candidates)
                missing[members.count] = BundleProblem(kind: .missing, field: "artifacts[\(i)]",
                                                       title: "Artifact missing", detail: detail)
            }
            members.append(member)
        }

        // Hash in archive order, each member path once.
        var computed: [String: Result<String, FormatError>] = [:]
        for job in jobs.sorted(by: { ($0.entry.dataIndex ?? 0) < ($1.entry.dataIndex ?? 0) })
        where computed[job.entry.path] == nil {
            do {
                computed[job.entry.path] = .success(try BundleDigest.sha256(of: job.entry, reader: reader))
            } catch let error as FormatError {
                computed[job.entry.path] = .failure(error)
            } catch {
                computed[job.entry.path] = .failure(.invalid(format: "tar", reason: "\(error)"))
            }
        }

        var found: [Int: BundleProblem] = [:]
        for job in jobs {
            guard let outcome = computed[job.entry.path] else { continue }
            let m = members[job.member]
            switch outcome {
            case let .success(actual):
                members[job.member].sha256 = actual
                if actual != job.expected {
                    found[job.member] = mismatch(m, path: job.entry.path, expected: job.expected, actual: actual)
                }
            case let .failure(error):
                found[job.member] = BundleProblem(
                    kind: .archive, field: field(m),
                    title: m.role == .image ? "Image unreadable" : "Artifact unreadable",
                    detail: "\(name(m)) at \(job.entry.path) could not be read: \(error)")
            }
        }

        var problems: [BundleProblem] = []
        for i in members.indices {
            if let p = missing[i] { problems.append(p) }
            if let p = found[i] { problems.append(p) }
        }
        return (members, problems)
    }

    private func firstFile(_ candidates: [String]) -> PayloadEntry? {
        for path in candidates {
            if let e = entries[path], e.hasData { return e }
        }
        return nil
    }

    /// "; x is a directory, not a file" for candidates present in another form.
    private func notFiles(_ candidates: [String]) -> String {
        candidates.compactMap { path in
            entries[path].map { "; \(path) is a \($0.kind.rawValue), not a file" }
        }.joined()
    }

    private func field(_ m: BundleMember) -> String {
        m.role == .image ? "images[\(m.index)]" : "artifacts[\(m.index)]"
    }

    private func name(_ m: BundleMember) -> String {
        switch m.role {
        case .image: return "image \(manifest.images?[m.index].reference ?? "")"
        case .artifact: return "artifact \(manifest.artifacts?[m.index].artifactName ?? "")"
        }
    }

    private func mismatch(_ m: BundleMember, path: String, expected: String, actual: String) -> BundleProblem {
        let key = m.role == .image ? "imageDigest" : "artifactDigest"
        return BundleProblem(
            kind: .digest, field: "\(field(m)).\(key)",
            title: m.role == .image ? "Image digest mismatch" : "Artifact digest mismatch",
            detail: "\(name(m)) at \(path) has \(actual), but package.json gives \(key) \(expected); "
                + "the archive in the bundle is damaged or package.json describes another build")
    }
}
