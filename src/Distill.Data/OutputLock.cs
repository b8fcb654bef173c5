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
        return TryAcquire(directory, what, fileName, shared: false, out var holder)
            ?? throw new DistillException($"{what} is in use by another run ({(holder == "" ? "pid unknown" : "pid " + holder)}); wait for it to finish or choose another directory");
    }

    /// <summary>
    /// Like <see cref="Acquire"/>, but returns null when another process holds the lock, with the pid it wrote
    /// (or "") in <paramref name="holder"/>. A <paramref name="shared"/> lock can be held by many processes at once
    /// and excludes only exclusive holders (e.g. the shards of one cache, which exclude a whole-cache run); shared
    /// holders write no pid (they clear the file, as no exclusive holder can exist while they hold it).
    /// </summary>
    public static OutputLock? TryAcquire(string directory, string what, string fileName, bool shared, out string holder)
    {
        holder = "";
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot create {what}: {e.Message}", e); }
        var path = System.IO.Path.Combine(directory, fileName);
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return new OutputLock(path, -1);   // advisory locks are a POSIX feature; elsewhere the run is unguarded
        int fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0) throw new DistillException($"cannot create the lock file in {what}: {Native.Error()}");
        if (Native.flock(fd, (shared ? Native.LOCK_SH : Native.LOCK_EX) | Native.LOCK_NB) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            holder = ReadPid(fd);
            Native.close(fd);
            if (errno is Native.EWOULDBLOCK) return null;
            throw new DistillException($"cannot lock {what}: {Native.Describe(errno)}");
        }
        Native.ftruncate(fd, 0);
        if (!shared)
        {
            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
            Native.pwrite(fd, pid, pid.Length, 0);
        }
        return new OutputLock(path, fd);
    }

    /// <summary>
    /// The pid written into lock file <paramref name="path"/> ("" when it holds none) while another process holds
    /// it exclusively; null when nobody does (or the file does not exist). Creates nothing.
    /// </summary>
    public static string? ExclusiveHolder(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
        int fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
        if (fd < 0) return null;
        try
        {
            // A shared lock is refused only while someone holds the file exclusively; closing our descriptor drops
            // the probe's lock and never the holder's (flock locks belong to the open file description).
            return Native.flock(fd, Native.LOCK_SH | Native.LOCK_NB) == 0 ? null : ReadPid(fd);
        }
        finally { Native.close(fd); }
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
        public const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
        public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4;
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
