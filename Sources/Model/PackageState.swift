/// The Astra package states and the transitions allowed between them.
public enum PackageState: String, Sendable, Codable, CaseIterable {
    case verifying, available, corrupt, incomplete

    /// Astra's table: verifying → corrupt | incomplete | available; corrupt → incomplete | available;
    /// incomplete → corrupt | available; available → corrupt | available.
    public var allowedTargets: [PackageState] {
        switch self {
        case .verifying: return [.corrupt, .incomplete, .available]
        case .corrupt: return [.incomplete, .available]
        case .incomplete: return [.corrupt, .available]
        case .available: return [.corrupt, .available]
        }
    }

    public func canTransition(to target: PackageState) -> Bool {
        allowedTargets.contains(target)
    }

    /// `packageStateTransitions` exactly as the Astra resource lists it.
    public static var transitionTable: [StateTransition] {
        ([.verifying, .corrupt, .incomplete, .available] as [PackageState]).map {
            StateTransition(from: $0.rawValue, to: $0.allowedTargets.map(\.rawValue))
        }
    }
}

public struct StateTransition: Sendable, Codable, Equatable {
    public var from: String
    public var to: [String]
}

/// One entry of `packageStateDetails`: what is wrong, in words a person can act on.
public struct StateDetail: Sendable, Codable, Equatable {
    public var type: String
    public var title: String
    public var detail: String

    public init(type: String, title: String, detail: String) {
        self.type = type
        self.title = title
        self.detail = detail
    }
}
