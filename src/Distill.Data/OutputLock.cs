using System.Runtime.InteropServices;
using System.Text;

namespace Distill.Data;

/// <summary>
/// One owner per output directory: an advisory <c>flock(LOCK_EX)</c> on a lock file, held for the whole run and
/// released by the kernel when the process exits or dies (no stale locks after SIGKILL). The holder writes its pid
/// into the file so a refused run can name it. Taken before a run deletes or writes anything in the directory.
/// Called through libc directly: .NET's FileStream takes its own flock per open, which would stop a second process
/// from even reading the holder's pid.
/// </summary>
public sealed class OutputLock : IDisposable
{
    /// <summary>The lock file both tools use inside an output directory.</summary>
    public const string FileName = ".distill.lock";

    private int _fd;

    public string Path { get; }

    private OutputLock(string path, int fd) { Path = path; _fd = fd; }

    /// <summary>
    /// Locks <paramref name="directory"/> (created if missing) through <paramref name="fileName"/>, or throws a
    /// one-line <see cref="DistillException"/> naming the pid that holds it. <paramref name="what"/> names the
    /// directory in messages (e.g. "output directory runs/kd").
    /// </summary>
    public static OutputLock Acquire(string directory, string? what = null, string fileName = FileName)
    {
        what ??= $"output directory {directory}";
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot create {what}: {e.Message}", e); }
        var path = System.IO.Path.Combine(directory, fileName);
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return new OutputLock(path, -1);   // advisory locks are a POSIX feature; elsewhere the run is unguarded
        int fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0) throw new DistillException($"cannot create the lock file in {what}: {Native.Error()}");
        if (Native.flock(fd, Native.LOCK_EX | Native.LOCK_NB) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string holder = ReadPid(fd);
            Native.close(fd);
            if (errno is Native.EWOULDBLOCK)
                throw new DistillException($"{what} is in use by another run ({(holder == "" ? "pid unknown" : "pid " + holder)}); wait for it to finish or choose another directory");
            throw new DistillException($"cannot lock {what}: {Native.Describe(errno)}");
        }
        var pid = Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
        Native.ftruncate(fd, 0);
        Native.pwrite(fd, pid, pid.Length, 0);
        return new OutputLock(path, fd);
    }

    private static string ReadPid(int fd)
    {
        var buf = new byte[32];
        long n = Native.pread(fd, buf, buf.Length, 0);
        return n <= 0 ? "" : Encoding.ASCII.GetString(buf, 0, (int)n).Trim();
    }

    /// <summary>Releases the lock (the file stays; an unlocked file means nobody holds the directory).</summary>
    public void Dispose()
    {
        if (_fd < 0) return;
        Native.close(_fd);   // closing the only descriptor releases the flock
        _fd = -1;
    }

    private static class Native
    {
        public const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
        public const int LOCK_EX = 2, LOCK_NB = 4;
        public const int EWOULDBLOCK = 11;

        [DllImport("libc", SetLastError = true)] public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);
        [DllImport("libc", SetLastError = true)] public static extern int flock(int fd, int operation);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
        [DllImport("libc", SetLastError = true)] public static extern int ftruncate(int fd, long length);
        [DllImport("libc", SetLastError = true)] public static extern nint pwrite(int fd, byte[] buf, nint count, long offset);
        [DllImport("libc", SetLastError = true)] public static extern nint pread(int fd, byte[] buf, nint count, long offset);
        [DllImport("libc")] private static extern nint strerror(int errnum);

        public static string Describe(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";
        public static string Error() => Describe(Marshal.GetLastPInvokeError());
    }
}
