using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Slipway.Tools.Tests")]
