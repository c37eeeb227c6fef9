import ArgumentParser
import Logging

enum LogSetup {
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = OneLineLogHandler(inner: StreamLogHandler(label: label, stream: RetainingLogStream()))
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
