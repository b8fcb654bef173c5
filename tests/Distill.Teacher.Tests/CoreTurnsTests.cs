namespace Distill.Teacher.Tests;

/// <summary>
/// The stages of precompute-logits' pipeline taking turns on the CPU's cores: never two at once, a stage keeps its
/// turn while it has more queued, and turns exist only where the stages would compete (the CPU with ONNX Runtime's
/// threads on every core). The pipeline's output is unchanged by them (every precompute test on this 2-core machine
/// runs with turns: --threads 0 or 2).
/// </summary>
[TestClass]
public sealed class CoreTurnsTests
{
    [TestMethod]
    public void TurnsExistOnlyWhereTheStagesCompeteForTheCores()
    {
        int cores = Environment.ProcessorCount;
        using (var all = CoreTurns.For("cpu", 0)) Assert.IsNotNull(all, "ONNX Runtime's default takes every core");
        using (var same = CoreTurns.For("cpu", cores)) Assert.IsNotNull(same);
        Assert.IsNull(CoreTurns.For("cuda:0", 0), "a GPU runs beside the reader");
        if (cores > 1) Assert.IsNull(CoreTurns.For("cpu", cores - 1), "a core to spare");
    }

    [TestMethod]
    public async Task NoTwoStagesRunAtOnceAndAStageKeepsItsTurnWhileMoreIsQueued()
    {
        using var turns = CoreTurns.For("cpu", 0)!;
        int active = 0, mostActive = 0, switches = 0, last = -1;
        var gate = new object();
        async Task StageAsync(int id, int items, int runLength)
        {
            using var turn = turns.ForStage();
            for (int i = 0; i < items; i++)
            {
                await turn.TakeAsync(CancellationToken.None);
                lock (gate)
                {
                    mostActive = Math.Max(mostActive, ++active);
                    if (last != id) { switches++; last = id; }
                }
                Thread.Sleep(2);
                lock (gate) active--;
                turn.Yield(moreQueued: i % runLength != runLength - 1);   // "queued": runs of runLength items
                await Task.Yield();
            }
        }
        await Task.WhenAll(Task.Run(() => StageAsync(0, 20, 5)), Task.Run(() => StageAsync(1, 20, 5)), Task.Run(() => StageAsync(2, 12, 4)));
        Assert.AreEqual(1, mostActive, "two stages ran at once");
        // Each stage gives its turn up only at the end of a run: 4 + 4 + 3 runs, so at most 11 turns.
        Assert.IsTrue(switches <= 11, $"{switches} turns for 11 runs of queued work");
    }

    [TestMethod]
    public async Task AStageThatFailsOrIsCancelledGivesItsTurnUp()
    {
        using var turns = CoreTurns.For("cpu", 0)!;
        using (var failing = turns.ForStage())
            await failing.TakeAsync(CancellationToken.None);   // disposed while holding the turn, as a failed stage is
        using var waiting = turns.ForStage();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await waiting.TakeAsync(cts.Token);                    // would wait the 10 s and throw if the turn were still held
        using var cancelled = turns.ForStage();
        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
            await cancelled.TakeAsync(new CancellationTokenSource(TimeSpan.FromMilliseconds(50)).Token));
        waiting.Yield(moreQueued: false);
        using var next = turns.ForStage();
        await next.TakeAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
    }
}
