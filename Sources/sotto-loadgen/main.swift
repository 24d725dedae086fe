import Foundation

exit(LoadgenCommand.entry(Array(CommandLine.arguments.dropFirst())))
