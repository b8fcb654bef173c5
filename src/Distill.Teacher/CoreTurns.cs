namespace Distill.Teacher;

/// <summary>
/// Pipeline stages on the CPU taking turns on its cores instead of running side by side, where ONNX Runtime's intra-op
/// threads already use every core: beside them, image decoding (parallel over the cores too) and even the light
/// Parquet writer preempt an intra-op thread, each parallel section of the model then waits for it, and reading plus
/// inference take longer than one after the other (measured: bench/imagenet/README.md). A stage keeps its turn while
/// its next item is already queued, so turns are long and switches, each starting a stage with caches the other one
/// filled, are rare.
/// </summary>
internal sealed class CoreTurns : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Turns for a teacher on <paramref name="device"/> with <paramref name="threads"/> intra-op threads (0: ONNX
    /// Runtime's default, every core), or null where the stages do not compete (a GPU, or threads to spare).
    /// </summary>
    public static CoreTurns? For(string device, int threads) =>
        device == "cpu" && (threads == 0 || threads >= Environment.ProcessorCount) ? new CoreTurns() : null;

    /// <summary>One stage's hold on the turns; disposing it gives up a turn still held.</summary>
    public Stage ForStage() => new(this);

    public void Dispose() => _gate.Dispose();

    public sealed class Stage(CoreTurns turns) : IDisposable
    {
        private bool _held;

        /// <summary>Waits for the turn unless this stage holds it already.</summary>
        public async ValueTask TakeAsync(CancellationToken ct)
        {
            if (_held) return;
            await turns._gate.WaitAsync(ct);
            _held = true;
        }

        /// <summary>Gives the turn up unless <paramref name="moreQueued"/>: the stage can go on without waiting.</summary>
        public void Yield(bool moreQueued)
        {
            if (!_held || moreQueued) return;
            _held = false;
            turns._gate.Release();
        }

        public void Dispose() => Yield(false);
    }
}
