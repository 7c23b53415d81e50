package dev.reactoraio;

/** The behaviour contract on the io_uring backend. */
class IoUringAsyncFileTest extends AsyncFileContract {

	@Override
	protected AioBackend backend() {
		return AioBackend.IO_URING;
	}
}
