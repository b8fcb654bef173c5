namespace Distill.Data.Scenes;

/// <summary>One garment placed on a canvas: source sample, its class, the side it is scaled to and its top-left corner.</summary>
public readonly record struct GarmentPlacement(int Source, int ClassIndex, int Side, int X, int Y);

/// <summary>A garment's visible extent in pixels: columns [X0, X1), rows [Y0, Y1).</summary>
public readonly record struct SceneObject(int ClassIndex, int X0, int Y0, int X1, int Y1);

/// <summary>
/// One composed canvas: grey pixels and the class mask (0 = background, class + 1 elsewhere), row-major
/// Size × Size, and the visible garments in drawing order (fully covered ones are not among them).
/// </summary>
public sealed record Scene(int Size, byte[] Pixels, byte[] Mask, IReadOnlyList<SceneObject> Objects);
