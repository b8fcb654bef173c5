using System.Runtime.CompilerServices;

// The estimator assembly shares the ML.NET plumbing (MLNetInternals, cursors); the tests check it directly.
[assembly: InternalsVisibleTo("Distill.MLNet.Training")]
[assembly: InternalsVisibleTo("Distill.MLNet.Tests")]
