using System.Text.Json;
using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// One run writing one shard of a cache directory: the only place that decides what may be written, replaced, kept
/// or resumed there (layout: <see cref="CacheLayout"/>).
/// <list type="bullet">
/// <item>One owner: <see cref="Begin"/> locks the directory before anything is deleted or written (exclusively for an
/// unsharded run, shared for a shard, so shards run in parallel); <see cref="StartAsync"/> locks the shard, so the
/// same shard cannot run twice.</item>
/// <item>A run writes into its generation (<c>.gen-KEY</c>, KEY from everything that defines the cache, the limit
/// and the number of shards included), never over the installed cache. When the generation's last part is complete
/// it is installed by renames, replacing the previous cache, and abandoned generations are removed. So
/// <c>--overwrite</c> never removes a complete cache before the new one is complete, and a new sharding is never
/// blocked by an older one.</item>
/// <item>Without <c>--overwrite</c> or <c>--resume</c> a run is refused when the directory holds a cache or an
/// interrupted run of this shard; <c>--resume</c> continues this shard, or finds the request already fulfilled, and
/// refuses (naming the differing settings) a request the directory's cache or interrupted run does not fulfil.</item>
/// <item>A generation is installed only over the cache it was started against: a run overtaken by another
/// installation fails instead of silently replacing it.</item>
/// </list>
/// </summary>
public sealed class CacheWriteSession : IAsyncDisposable
{
    private static readonly TimeSpan LayoutLockWait = TimeSpan.FromMinutes(2);

    private readonly string _dir;
    private readonly ShardSpec _shard;
    private readonly bool _resume, _overwrite;
    private OutputLock? _dirLock, _shardLock;
    private CachePartWriter? _part;
    private string _generation = "";
    private CacheMetadata? _metadata;

    /// <summary>True when <see cref="StartAsync"/> found this shard already complete: nothing to compute.</summary>
    public bool AlreadyComplete { get; private set; }
    /// <summary>Rows [FirstRow, EndRow) of this shard; rows before <see cref="ResumeRow"/> are already cached.</summary>
    public long FirstRow => _metadata!.RowRange.First;
    public long EndRow => _metadata!.RowRange.End;
    public long ResumeRow => AlreadyComplete ? EndRow : _part!.ResumeRow;

    private CacheWriteSession(string dir, ShardSpec shard, bool resume, bool overwrite)
    {
        _dir = dir; _shard = shard; _resume = resume; _overwrite = overwrite;
    }

    /// <summary>
    /// Takes <paramref name="dir"/> (created if missing) for this run, or throws one line naming the run (pid) that
    /// holds it. Nothing else is touched yet.
    /// </summary>
    public static CacheWriteSession Begin(string dir, ShardSpec shard, bool resume, bool overwrite)
    {
        if (resume && overwrite) throw new DistillException("--resume and --overwrite exclude each other");
        if (File.Exists(dir)) throw new DistillException($"output {dir} is a file, expected a directory");
        var session = new CacheWriteSession(dir, shard, resume, overwrite);
        string what = $"output directory {dir}";
        if (shard.N == 1)
        {
            session._dirLock = OutputLock.TryAcquire(dir, what, OutputLock.FileName, shared: false, out var holder)
                ?? throw new DistillException($"{what} is in use by {DescribeHolders(dir, holder)}; wait for it to finish or choose another directory");
        }
        else
        {
            session._dirLock = OutputLock.TryAcquire(dir, what, OutputLock.FileName, shared: true, out var holder)
                ?? throw new DistillException($"{what} is in use by another run ({Pid(holder)}), which writes the whole cache; wait for it to finish or choose another directory");
        }
        return session;
    }

    // An exclusive lock is refused by one exclusive holder (its pid is in the file) or by shards (each names itself
    // in its generation's shard lock).
    private static string DescribeHolders(string dir, string holder)
    {
        var shards = CacheLayout.Generations(dir)
            .SelectMany(g => Directory.GetFiles(g, CacheLayout.ShardLockPattern))
            .Select(f => (Shard: CacheLayout.ShardOfLockFile(f), Pid: OutputLock.ExclusiveHolder(f)))
            .Where(h => h.Pid != null && h.Shard is { N: > 1 })
            .Select(h => $"{Pid(h.Pid!)} writing shard {h.Shard}")
            .ToList();
        if (shards.Count > 0) return "running shards (" + string.Join(", ", shards) + ")";
        return $"another run ({Pid(holder)})";
    }

    private static string Pid(string holder) => holder == "" ? "pid unknown" : "pid " + holder;

    /// <summary>
    /// Decides, from what the directory holds, whether this shard of the cache <paramref name="metadata"/> describes
    /// is computed afresh, resumed or already complete, and prepares its part file. Refusals are one line.
    /// </summary>
    public async Task StartAsync(CacheMetadata metadata, int rowGroupSize, CancellationToken ct = default)
    {
        if (metadata.Shard != _shard.ToString()) throw new ArgumentException($"metadata is for shard {metadata.Shard}, the session for {_shard}");
        _metadata = metadata;
        var key = metadata.IdentityKey();
        _generation = CacheLayout.GenerationDirectory(_dir, key);
        bool keepSegments;
        using (await LockLayoutAsync(ct))
        {
            foreach (var g in CacheLayout.Generations(_dir).Where(g => File.Exists(Path.Combine(g, CacheLayout.PromotingMarker))))
                FinishInstalling(g);
            keepSegments = await DecideAsync(metadata, ct);
        }
        if (AlreadyComplete) return;
        _part = await CachePartWriter.OpenAsync(_generation, metadata, rowGroupSize, keepSegments, ct);
    }

    // Under the layout lock. Returns whether this shard's segments are kept; sets AlreadyComplete; refuses.
    private async Task<bool> DecideAsync(CacheMetadata request, CancellationToken ct)
    {
        string partName = CacheSchema.PartName(_shard.PartIndex);
        string stagedPart = Path.Combine(_generation, partName), work = CacheLayout.WorkDirectory(_generation, _shard.PartIndex);
        bool genExists = Directory.Exists(_generation);
        string liveStamp = CacheLayout.LiveStamp(_dir);
        bool stale = genExists && !_overwrite && ReadBase(_generation) != liveStamp;
        bool ownPart = genExists && File.Exists(stagedPart), ownWork = genExists && Directory.Exists(work);
        if (genExists) LockShard();

        if (_overwrite)
        {
            if (ownPart) File.Delete(stagedPart);
            CreateGeneration(liveStamp);   // (re)states the cache it replaces: the one there now
            return false;
        }
        if (stale)
            throw new DistillException($"the cache in {_dir} was replaced by another run after this run ({Path.GetFileName(_generation)}) started; pass --overwrite to start it again");

        if (_resume)
        {
            if (ownPart) { AlreadyComplete = true; return false; }
            if (ownWork) return true;
            if (!genExists && CacheLayout.Parts(_dir).Length > 0)
            {
                var live = await ReadLiveAsync(ct);
                var diffs = live.Differences(request);
                if (diffs.Count > 0)
                    throw new DistillException($"--resume: {_dir} holds a cache made with other settings ({MetadataDifference.Describe(diffs, "cache", "this run")}); pass --overwrite to replace it");
                AlreadyComplete = true;
                return false;
            }
            if (!genExists && await OtherRunAsync(request, ct) is { } other)
                throw new DistillException($"--resume: {_dir} holds an interrupted run made with other settings ({other}); pass --overwrite to start over");
        }
        else
        {
            if (CacheLayout.Parts(_dir).Length > 0)
                throw new DistillException($"{_dir} already holds a cache (pass --overwrite to replace it)");
            if (ownPart)
                throw new DistillException($"{_dir} already holds shard {_shard} of a cache in progress; pass --resume to finish it or --overwrite to recompute the shard");
            if (ownWork)
                throw new DistillException($"{_dir} holds an interrupted run ({Path.GetFileName(_generation)}/{Path.GetFileName(work)}); pass --resume to continue it or --overwrite to start over");
            if (!genExists && await OtherRunAsync(request, ct) is { } other)
                throw new DistillException($"{_dir} holds an interrupted run made with other settings ({other}); pass --overwrite to start over");
        }
        CreateGeneration(liveStamp);
        return false;
    }

    // A generation folder states the cache it replaces; it is (re)written only by a run holding the layout lock.
    private void CreateGeneration(string liveStamp)
    {
        Directory.CreateDirectory(_generation);
        LockShard();
        WriteAtomically(Path.Combine(_generation, CacheLayout.GenerationFile), JsonSerializer.Serialize(new GenerationJson(liveStamp)));
    }

    // Small files of the layout: written under a temporary name, renamed when complete, the temporary file removed if
    // anything fails (e.g. a full disk).
    private static void WriteAtomically(string path, string contents)
    {
        var temp = path + CacheSchema.TempSuffix;
        try
        {
            File.WriteAllText(temp, contents);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { /* the original error matters */ }
            throw;
        }
    }

    private void LockShard()
    {
        if (_shardLock != null) return;
        _shardLock = OutputLock.TryAcquire(_generation, $"output directory {_dir}", CacheLayout.ShardLockFile(_shard), shared: false, out var holder)
            ?? throw new DistillException($"shard {_shard} of {_dir} is being written by another run ({Pid(holder)}); wait for it to finish");
    }

    private static string ReadBase(string generation)
    {
        try { return JsonSerializer.Deserialize<GenerationJson>(File.ReadAllText(Path.Combine(generation, CacheLayout.GenerationFile)))?.Replaces ?? "?"; }
        catch (Exception e) when (e is IOException or JsonException) { return "?"; }
    }

    private async Task<CacheMetadata> ReadLiveAsync(CancellationToken ct)
    {
        try { return await LogitCacheReader.ReadMetadataAsync(CacheLayout.Parts(_dir)[0], ct); }
        catch (DistillException e) { throw new DistillException($"--resume: {_dir} holds a cache this build cannot use ({e.Message}); pass --overwrite to replace it", e); }
    }

    // Another generation with work in it, and how its settings differ from this request's (just its name when none of
    // its files can be read); null when there is none.
    private async Task<string?> OtherRunAsync(CacheMetadata request, CancellationToken ct)
    {
        foreach (var g in CacheLayout.Generations(_dir).Where(g => g != _generation))
        {
            var files = CacheLayout.Parts(g).Concat(Directory.GetDirectories(g, ".part-*.work")
                .SelectMany(w => Directory.GetFiles(w, CacheLayout.SegmentPattern))).ToList();
            if (files.Count == 0 && Directory.GetDirectories(g, ".part-*.work").Length == 0) continue;
            foreach (var f in files)
            {
                try
                {
                    var diffs = (await LogitCacheReader.ReadMetadataAsync(f, ct)).Differences(request);
                    return $"{Path.GetFileName(g)}: {MetadataDifference.Describe(diffs, "that run", "this run")}";
                }
                catch (DistillException) { /* try another file */ }
            }
            return Path.GetFileName(g);
        }
        return null;
    }

    /// <summary>Appends the next rows of this shard (in row order).</summary>
    public Task WriteAsync(LogitBatch b, CancellationToken ct = default) =>
        _part?.WriteAsync(b, ct) ?? throw new InvalidOperationException("no part is being written");

    /// <summary>
    /// Completes this shard's part and, when it was the generation's last, installs the generation as the cache.
    /// Also called when <see cref="AlreadyComplete"/>, to install a generation a killed run left complete.
    /// </summary>
    public async Task<CacheWriteResult> CompleteAsync(CancellationToken ct = default)
    {
        long correct = 0;
        if (_part != null) (_, correct) = await _part.CompleteAsync(ct);
        using (await LockLayoutAsync(ct))
        {
            var partName = CacheSchema.PartName(_shard.PartIndex);
            if (!Directory.Exists(_generation))   // installed already (by this shard's earlier run or another shard)
                return new CacheWriteResult(Path.Combine(_dir, partName), correct, Array.Empty<ShardSpec>());
            var missing = Enumerable.Range(1, _shard.N).Select(k => new ShardSpec(k, _shard.N))
                .Where(s => !File.Exists(Path.Combine(_generation, CacheSchema.PartName(s.PartIndex)))).ToList();
            if (missing.Count > 0) return new CacheWriteResult(Path.Combine(_generation, partName), correct, missing);
            // The generation must read as one complete cache before it replaces anything.
            using (await LogitCacheReader.OpenAsync(_generation, ct)) { }
            if (ReadBase(_generation) != CacheLayout.LiveStamp(_dir))
                throw new DistillException($"{_dir} was replaced by another run while this one ran; its complete cache stays in {_generation} and was not installed (rerun with --overwrite to replace the cache)");
            WriteAtomically(Path.Combine(_generation, CacheLayout.PromotingMarker),
                string.Join("\n", CacheLayout.Parts(_generation).Select(Path.GetFileName)));
            FinishInstalling(_generation);
            RemoveAbandonedGenerations();
            return new CacheWriteResult(Path.Combine(_dir, partName), correct, Array.Empty<ShardSpec>());
        }
    }

    // Installs a complete generation whose marker lists its parts: they replace the cache's parts by renames, the
    // parts of an older cache that are not among them go, then the folder. Repeatable after a crash at any step.
    private void FinishInstalling(string generation)
    {
        var names = File.ReadAllLines(Path.Combine(generation, CacheLayout.PromotingMarker)).Where(n => n != "").ToHashSet();
        foreach (var name in names)
            if (File.Exists(Path.Combine(generation, name))) File.Move(Path.Combine(generation, name), Path.Combine(_dir, name), overwrite: true);
        foreach (var part in CacheLayout.Parts(_dir))
            if (!names.Contains(Path.GetFileName(part))) File.Delete(part);
        Directory.Delete(generation, true);
    }

    // After an installation every other generation was started against the replaced cache and can never be
    // installed: remove those no run is writing.
    private void RemoveAbandonedGenerations()
    {
        foreach (var g in CacheLayout.Generations(_dir))
            if (Directory.GetFiles(g, CacheLayout.ShardLockPattern).All(f => OutputLock.ExclusiveHolder(f) == null))
                Directory.Delete(g, true);
    }

    private async Task<OutputLock> LockLayoutAsync(CancellationToken ct)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var l = OutputLock.TryAcquire(_dir, $"output directory {_dir}", CacheLayout.LayoutLockFile, shared: false, out var holder);
            if (l != null) return l;
            if (waited.Elapsed > LayoutLockWait)
                throw new DistillException($"{_dir} is being rearranged by another run ({Pid(holder)}) for over {LayoutLockWait.TotalMinutes:F0} minutes");
            await Task.Delay(20, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_part != null) await _part.DisposeAsync();
        _shardLock?.Dispose();
        _dirLock?.Dispose();
    }

    private sealed record GenerationJson([property: System.Text.Json.Serialization.JsonPropertyName("replaces")] string Replaces);
}

/// <summary>
/// What <see cref="CacheWriteSession.CompleteAsync"/> did: the shard's part file (in the cache, or still in its
/// generation while <see cref="MissingShards"/> are not done) and how many of its new rows' top-1 equal their label.
/// </summary>
public sealed record CacheWriteResult(string PartFile, long Correct, IReadOnlyList<ShardSpec> MissingShards)
{
    public bool Installed => MissingShards.Count == 0;
}
