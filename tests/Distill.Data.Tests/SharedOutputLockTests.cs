using System.Diagnostics;

namespace Distill.Data.Tests;

/// <summary>
/// Shared output locks (the shards of one cache) against flock(1) from util-linux as an independent holder: shared
/// holders coexist and exclude an exclusive one, an exclusive holder excludes them, and
/// <see cref="OutputLock.ExclusiveHolder"/> names an exclusive holder without taking anything.
/// </summary>
[TestClass]
public sealed class SharedOutputLockTests
{
    // flock(1) holding `file` until killed; returns once it holds it (seen through the product's own probe or refusal).
    private static Process Hold(string file, string mode, Func<bool> held)
    {
        var p = Process.Start(new ProcessStartInfo("flock", new[] { mode, file, "sleep", "60" }) { UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!held() && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.IsTrue(held(), $"flock {mode} never took the lock");
        return p;
    }

    private static void Release(Process p) { p.Kill(entireProcessTree: true); p.WaitForExit(); p.Dispose(); }

    [TestMethod]
    public void SharedHoldersCoexistAndExcludeAnExclusiveOne()
    {
        var dir = TempDir.Create();
        var file = Path.Combine(dir, OutputLock.FileName);
        File.WriteAllText(file, "");
        var other = Hold(file, "-s", () => OutputLock.TryAcquire(dir, "d", OutputLock.FileName, shared: false, out _) is not { } l || Free(l));
        try
        {
            using (var mine = OutputLock.TryAcquire(dir, "d", OutputLock.FileName, shared: true, out _))
                Assert.IsNotNull(mine, "a second shared holder is let in");
            Assert.IsNull(OutputLock.TryAcquire(dir, "d", OutputLock.FileName, shared: false, out _), "an exclusive one is not");
            Assert.IsNull(OutputLock.ExclusiveHolder(file), "nobody holds it exclusively");
        }
        finally { Release(other); }
        // flock(1)'s child (sleep) holds the descriptor too; it is gone moments after flock itself.
        OutputLock? now = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); now == null && DateTime.UtcNow < deadline; Thread.Sleep(20))
            now = OutputLock.TryAcquire(dir, "d", OutputLock.FileName, shared: false, out _);
        Assert.IsNotNull(now, "free once the shared holder is gone");
        now.Dispose();
    }

    [TestMethod]
    public void AnExclusiveHolderExcludesSharedOnesAndIsNamed()
    {
        var dir = TempDir.Create();
        var file = Path.Combine(dir, "shard.lock");
        using (var mine = OutputLock.TryAcquire(dir, "d", "shard.lock", shared: false, out _))
        {
            Assert.AreEqual(Environment.ProcessId.ToString(), OutputLock.ExclusiveHolder(file));
            Assert.IsNull(OutputLock.TryAcquire(dir, "d", "shard.lock", shared: true, out var holder));
            Assert.AreEqual(Environment.ProcessId.ToString(), holder);
        }
        Assert.IsNull(OutputLock.ExclusiveHolder(file));
        Assert.IsNull(OutputLock.ExclusiveHolder(Path.Combine(dir, "no-such.lock")));
        Assert.IsFalse(File.Exists(Path.Combine(dir, "no-such.lock")), "probing creates nothing");
        var other = Hold(file, "-x", () => OutputLock.ExclusiveHolder(file) != null);
        try { Assert.IsNull(OutputLock.TryAcquire(dir, "d", "shard.lock", shared: true, out _)); }
        finally { Release(other); }
    }

    private static bool Free(OutputLock l) { l.Dispose(); return false; }
}
