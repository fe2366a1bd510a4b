/** True while a process with this pid exists (signal 0 probes without killing). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
