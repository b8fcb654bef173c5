namespace Distill.Student.Losses;

/// <summary>mdistiller's warmup: the loss is multiplied by min(epoch / warmup, 1), epochs counted from 1.</summary>
public static class Warmup
{
    public static double Factor(int epoch, int warmup) => warmup <= 0 ? 1.0 : Math.Min((double)epoch / warmup, 1.0);
}
