import Admin
import Dispatch
import Foundation
import Logging
import Media
import Recording
import SottoConfig
import Synchronization

/// The recording vault as the relay runs it (`[recording]`): the recipients' public keys, the index and the store
/// under `recording.directory`, the writer, the retention sweeper and the recorder the proxy talks to.
final class RelayRecordings: Sendable {
    let vault: RecordingVault
    let index: RecordingIndex
    let store: DirectoryStore
    let sweeper: RetentionSweeper
    let recorder: RelayRecorder
    /// The admin socket's audit log, once it is open: retention's shreds are written there, in the same chain as
    /// the auditors' commands.
    let audit = AuditSink()
    private let sweeps = DispatchQueue(label: "sotto.recording.retention")

    /// Opens the directory, the index and the recipients' keys; a recording a crash left open is marked cut.
    /// Nothing runs until ``start()``.
    init(config: SottoConfig, media: MediaEngine, logger: Logger) throws(StartError) {
        let settings = config.recording
        let recipients: RecipientSet
        do {
            recipients = try RecipientSet.load(path: settings.recipients)
        } catch {
            throw StartError(
                description: "recording.recipients (\(settings.recipients)): \(error)", isConfiguration: true)
        }
        do {
            try FileManager.default.createDirectory(
                atPath: settings.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            store = try DirectoryStore(path: settings.directory)
            index = try RecordingIndex(directory: settings.directory)
        } catch {
            throw StartError(
                description: "recording.directory (\(settings.directory)): \(error)", isConfiguration: false)
        }
        Self.recover(index: index, store: store, logger: logger)
        var configuration = RecordingVault.Configuration()
        configuration.chunkNanoseconds =
            UInt64(settings.chunkInterval.components.seconds) * 1_000_000_000
            + UInt64(settings.chunkInterval.components.attoseconds / 1_000_000_000)
        let clock = SystemMediaClock()
        vault = RecordingVault(
            configuration: configuration, rings: media.captureRings, catalog: index, store: store,
            recipients: recipients, monotonic: { clock.now() }, logger: logger)
        recorder = RelayRecorder(settings: settings, vault: vault, media: media, logger: logger)
        let audit = audit
        sweeper = RetentionSweeper(catalog: index, store: store, logger: logger) { row, text in
            audit.append(command: "recording-retention", arguments: ["recording": row.id, "reason": text])
        }
        let recorder = recorder
        vault.setFailureHandler { handle, reason in recorder.recordingFailed(handle: handle, reason: reason) }
        logger.info(
            "recording on",
            metadata: [
                "mode": "\(settings.mode.rawValue)", "directory": "\(settings.directory)",
                "recipients": "\(recipients.keyIDs)", "required": "\(settings.required)",
            ])
    }

    /// Starts the writer and the hourly sweep (one at once).
    func start() {
        vault.start()
        sweeper.start(queue: sweeps)
    }

    /// Ends open recordings (complete, with their last chunk) and stops the sweep. At shutdown.
    func stop() {
        sweeper.stop()
        vault.stop()
    }

    /// Rows a crash left `recording` are cut: their size and hash are taken from the file as it is (everything up to
    /// the last whole chunk exports), their end from the file's last write.
    private static func recover(index: RecordingIndex, store: DirectoryStore, logger: Logger) {
        let rows: [RecordingRow]
        do {
            rows = try index.recover()
        } catch {
            logger.error("recording index: crashed recordings not recovered: \(error)")
            return
        }
        for row in rows {
            let file = try? store.sha256(of: row.fileName)
            let path = store.path + "/" + row.fileName
            let modified =
                (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? row.started
            _ = try? index.finish(
                id: row.id, state: .cut, ended: max(modified, row.started), sizeBytes: Int64(file?.size ?? 0),
                sha256: file?.hex)
            logger.warning(
                "recording cut by a crash or kill; its sealed chunks remain exportable",
                metadata: ["recording": "\(row.id)", "bytes": "\(file?.size ?? 0)"])
        }
    }
}

/// Where the relay's own recording events go in the admin audit chain (uid: the relay's; no role).
final class AuditSink: Sendable {
    private let log = Mutex<AuditLog?>(nil)

    /// The log to write to, once the admin server has opened it.
    func attach(_ auditLog: AuditLog) { log.withLock { $0 = auditLog } }

    /// One line; a failure to write is the audit log's to report (it logs it), and is not retried here.
    func append(command: String, arguments: [String: String]) {
        let auditLog = log.withLock { $0 }
        _ = try? auditLog?.append(uid: getuid(), role: nil, command: command, arguments: arguments, result: "ok")
    }
}
