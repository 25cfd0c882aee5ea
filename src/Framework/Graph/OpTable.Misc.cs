namespace NativeNet;

/// <summary>Recurrent layers, sampling, detection and signal ops.</summary>
internal static partial class OpRegistry
{
    static void RegisterMisc()
    {
    }
}
