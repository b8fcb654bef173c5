using System.Diagnostics;

namespace Distill.Data.Tests;

/// <summary>
/// The output-directory lock against the kernel's flock: a second holder (another open file description, as another
/// process has) is refused with the holder's pid, a released or killed holder frees the directory.
/// </summary>
[TestClass]
public sealed class OutputLockTests
{
    [TestMethod]
    public void SecondHolderIsRefusedWithThePidUntilTheFirstReleases()
    {
        var dir = TempDir.Create();
        using (var first = OutputLock.Acquire(dir, "output directory X"))
        {
            var e = Assert.ThrowsExactly<DistillException>(() => OutputLock.Acquire(dir, "output directory X"));
            Assert.AreEqual($"output directory X is in use by another run (pid {Environment.ProcessId}); wait for it to finish or choose another directory", e.Message);
        }
        using var again = OutputLock.Acquire(dir);
        Assert.IsTrue(File.Exists(Path.Combine(dir, OutputLock.FileName)));
    }

    [TestMethod]
    public void AnotherProcessHoldingTheLockIsSeenAndAKilledHolderFreesIt()
    {
        var dir = TempDir.Create();
        // flock(1) from util-linux: an independent holder of the same kernel lock.
        using var holder = Process.Start(new ProcessStartInfo("flock", new[] { "-x", Path.Combine(dir, OutputLock.FileName), "sleep", "60" })
            { UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        DistillException? refused = null;
        while (refused is null && DateTime.UtcNow < deadline)
        {
            try { OutputLock.Acquire(dir).Dispose(); Thread.Sleep(50); }
            catch (DistillException e) { refused = e; }
        }
        Assert.IsNotNull(refused, "flock(1) never took the lock");
        StringAssert.Contains(refused.Message, "is in use by another run");
        holder.Kill(entireProcessTree: true);   // flock(1) runs sleep as a child that inherits the locked descriptor
        holder.WaitForExit();
        // The kernel releases the lock once the last holder (sleep, killed with flock but not waited for) is gone.
        OutputLock? mine = null;
        var released = DateTime.UtcNow.AddSeconds(20);
        while (mine is null && DateTime.UtcNow < released)
        {
            try { mine = OutputLock.Acquire(dir); }
            catch (DistillException) { Thread.Sleep(20); }
        }
        Assert.IsNotNull(mine, "the dead holder's lock was never released");
        mine.Dispose();
    }

    [TestMethod]
    public void ThreadCountsAreBounded()
    {
        Assert.AreEqual(1, ThreadLimit.Check(1));
        Assert.AreEqual(ThreadLimit.Max, ThreadLimit.Check(ThreadLimit.Max));
        foreach (var bad in new[] { 0, -1, ThreadLimit.Max + 1, 100000 })
        {
            var e = Assert.ThrowsExactly<DistillException>(() => ThreadLimit.Check(bad));
            StringAssert.StartsWith(e.Message, "--threads must be between 1 and ");
        }
    }
}
