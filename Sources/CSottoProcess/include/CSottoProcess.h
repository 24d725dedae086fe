// CSottoProcess: the process-wide settings sotto makes at start that Swift cannot call directly. prctl(2) is
// variadic, and Swift does not import variadic C functions, so the two uses sotto has for it (turning core
// dumps and ptrace by other processes of the same user off, and reading that setting back) are wrapped here.
//
// Imported by sotto only.
#ifndef CSOTTOPROCESS_H
#define CSOTTOPROCESS_H

/// prctl(PR_SET_DUMPABLE, dumpable): 0 makes the process non-dumpable (no core file, /proc/PID owned by root,
/// no ptrace attach by other processes of the same user). 0 on success, -1 with errno.
int CSottoProcess_set_dumpable(int dumpable);

/// prctl(PR_GET_DUMPABLE): 1 when the process is dumpable, 0 when not, -1 with errno.
int CSottoProcess_get_dumpable(void);

#endif
