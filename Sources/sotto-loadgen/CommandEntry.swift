import ArgumentParser
import Foundation

/// Parses `arguments` as `Command`, runs it and returns the exit status: a ``LoadgenCommand/Failure``'s status, an
/// `ExitCode`'s, 0 for `--help`, else 2 for argument errors (ArgumentParser's own default is 64).
func runCommand<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String]) -> Int32 {
    do {
        var command = try Command.parseAsRoot(arguments)
        try command.run()
        return 0
    } catch let failure as LoadgenCommand.Failure {
        FileHandle.standardError.write(Data((failure.message + "\n").utf8))
        return failure.status
    } catch let code as ExitCode {
        return code.rawValue
    } catch {
        let status = Command.exitCode(for: error).rawValue
        if status == 0 {
            print(Command.fullMessage(for: error))
            return 0
        }
        FileHandle.standardError.write(
            Data((Command.fullMessage(for: error) + "\n" + Command.usageString() + "\n").utf8))
        return 2
    }
}
