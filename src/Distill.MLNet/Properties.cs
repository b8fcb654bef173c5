using System.Runtime.CompilerServices;

// The estimator assembly shares the ML.NET plumbing (MLNetInternals, DatasetOf, the cursors).
[assembly: InternalsVisibleTo("Distill.MLNet.Training")]
