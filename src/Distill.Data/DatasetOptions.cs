namespace Distill.Data;

/// <summary>
/// What the teacher tells a dataset reader beyond the spec, and where the reader's one-time warnings go. Readers whose
/// labels are stored indices (IDX, CIFAR, npy) need none of it; <c>folder:</c> uses all of it.
/// </summary>
public sealed record DatasetOptions
{
    public static DatasetOptions None { get; } = new();

    /// <summary>
    /// The teacher's class keys, index = class (precompute-logits: the card's <c>class_ids</c>, else its
    /// <c>classes</c>; train-student: the cache's recorded <c>distill.classes</c>). Folder datasets whose class folders
    /// carry these names take their labels from them.
    /// </summary>
    public IReadOnlyList<string>? TeacherClasses { get; init; }

    /// <summary>The card's <c>resize: short:S</c>, applied to folder datasets whose spec sets no resize of its own.</summary>
    public int? ShortSide { get; init; }

    /// <summary>The card's <c>crop: center:HxW</c>, applied to folder datasets whose spec sets no crop of its own.</summary>
    public CropSize? Crop { get; init; }

    /// <summary>Receives warnings (one line each, once per opened dataset), e.g. labels that are not the teacher's classes.</summary>
    public Action<string>? Warn { get; init; }
}
