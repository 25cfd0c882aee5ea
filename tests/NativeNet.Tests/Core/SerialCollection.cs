namespace NativeNet.Tests.Core;

/// <summary>Tests that read process-wide state (the global generator's seed and counter, pool byte counts) run alone.</summary>
[CollectionDefinition("Serial", DisableParallelization = true)]
public class SerialCollection
{
}
