package dev.reactoraio;

/** The behaviour contract on the NIO backend (FileChannel on the bounded pool). */
class NioAsyncFileTest extends AsyncFileContract {

	@Override
	protected AioBackend backend() {
		return AioBackend.NIO;
	}
}
