package dev.reactoraio;

/** The behaviour contract on the kernel AIO backend (O_DIRECT through io_submit, buffered on the pool). */
class LibaioAsyncFileTest extends AsyncFileContract {

	@Override
	protected AioBackend backend() {
		return AioBackend.LIBAIO;
	}
}
