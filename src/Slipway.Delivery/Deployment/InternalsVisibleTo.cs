using System.Runtime.CompilerServices;

// The parsing and decision helpers of the deploy (upstream rewrite, durations, rollback choice) are tested directly.
[assembly: InternalsVisibleTo("Slipway.Delivery.Tests")]
