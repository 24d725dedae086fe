import Foundation

// `sotto-loadgen pbx ...` is the PBX side alone (TestPBXCommand); anything else is a load test.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "pbx" {
    exit(TestPBXCommand.entry(Array(arguments.dropFirst())))
}
exit(LoadgenCommand.entry(arguments))
