namespace Distill.Data;

/// <summary>
/// Some samples of a split, in the order given (e.g. a validation split held out of the training split). Reads go to
/// the underlying split; the fingerprint covers the underlying split's and the chosen indices.
/// </summary>
public sealed class SubsetDataset : IDataset
{
    private readonly IDataset _source;
    private readonly int[] _indices;

    /// <param name="split">The name this subset goes by, e.g. "val".</param>
    public SubsetDataset(IDataset source, int[] indices, string split)
    {
        foreach (var i in indices)
            if (i < 0 || i >= source.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} is outside {source.Name} {source.Split} ({source.Count} samples)");
        (_source, _indices, Split) = (source, indices, split);
        _fingerprint = new Lazy<string>(() =>
        {
            var bytes = new byte[indices.Length * 4];
            Buffer.BlockCopy(indices, 0, bytes, 0, bytes.Length);
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
                System.Text.Encoding.ASCII.GetBytes(source.Fingerprint).Concat(bytes).ToArray()));
        });
    }

    private readonly Lazy<string> _fingerprint;

    public string Name => _source.Name;
    public string Split { get; }
    public int Count => _indices.Length;
    public int[] SampleShape => _source.SampleShape;
    public int? ClassCount => _source.ClassCount;
    public bool HasLabels => _source.HasLabels;
    public string Fingerprint => _fingerprint.Value;

    /// <summary>Index in the underlying split of this subset's sample <paramref name="i"/>.</summary>
    public int SourceIndex(int i) => _indices[i];

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        int size = this.SampleSize();
        // Runs of consecutive indices are read in one call.
        for (int k = 0; k < count;)
        {
            int run = 1;
            while (k + run < count && _indices[start + k + run] == _indices[start + k] + run) run++;
            _source.ReadSamples(_indices[start + k], run, destination.Slice(k * size, run * size));
            k += run;
        }
    }

    public int GetLabel(int index) => _source.GetLabel(_indices[index]);
}
