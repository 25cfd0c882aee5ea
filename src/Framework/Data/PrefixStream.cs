namespace NativeNet.Data;

/// <summary>A read-only stream that yields <c>prefix</c> and then the rest of <c>inner</c> (bytes sniffed for a magic number go back in front). Does not close <c>inner</c>.</summary>
internal sealed class PrefixStream(byte[] prefix, Stream inner) : Stream
{
    int pos;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (pos < prefix.Length)
        {
            int n = Math.Min(buffer.Length, prefix.Length - pos);
            prefix.AsSpan(pos, n).CopyTo(buffer);
            pos += n;
            return n;
        }
        return inner.Read(buffer);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
