"""Fixed models: ``enas.Model`` trains one architecture from scratch (retraining) and reports final metrics."""

import ctypes
import json

import numpy as np

from . import _ffi
from ._convert import Parameters, c_path, c_text, config_text, int32, read_text
from ._events import check_callback, run_with_events
from ._handle import Handle
from .architecture import Architecture
from .data import Corpus, Images, _image_array
from .errors import EnasError, Status, check


class Model(Handle):
    """``architecture`` (an enas.Architecture) with fresh weights, trained on ``data``: an enas.data corpus for a
    recurrent cell, enas.data image data for a macro or micro CNN (built in fixed mode with exactly its operations).

    ``config`` is a dict or JSON string of the retrain config (strict snake_case keys; cells: seed, threads, epochs,
    child, training, eval_batch_size, averaging_start_epoch (evaluate with the mean weights from that epoch on);
    CNNs, over their space's "paper" preset: seed, threads, epochs, layers, width, auxiliary_head, auxiliary_weight,
    regularization, training, eval_batch_size); ``seed`` overrides its "seed".
    ``evaluate`` gives final metrics: perplexity for cells, top-1 accuracy for CNNs.
    """

    _free = _ffi.enas_model_free
    _kind = "model"

    def __init__(self, architecture, data=None, config=None, seed=None):
        function = "enas.Model"
        if not isinstance(architecture, Architecture):
            raise TypeError(f"{function}: architecture must be an enas.Architecture (e.g. "
                            f"enas.Architecture.parse(text, space='rnn')), got {type(architecture).__name__}")
        text = config_text(config, seed, function)
        out = ctypes.c_void_p()
        if architecture.space == "rnn":
            if not isinstance(data, Corpus):
                raise TypeError(f"{function}: a recurrent cell trains on an enas.data corpus, got {type(data).__name__}")
            check(_ffi.enas_model_create(architecture.handle, text, data.handle, ctypes.byref(out)))
        else:
            if not isinstance(data, Images):
                raise TypeError(f"{function}: a {architecture.space} CNN trains on enas.data image data, got "
                                f"{type(data).__name__}")
            check(_ffi.enas_model_create_images(architecture.handle, text, data.handle, ctypes.byref(out)))
        super().__init__(out.value)
        self.architecture = architecture
        self.data = data

    @classmethod
    def load(cls, path, data):
        """A model restored from ``save``'s checkpoint; ``data`` must be the data it was trained on (checked).
        Training continues exactly as if it had never stopped."""
        out = ctypes.c_void_p()
        if isinstance(data, Images):
            check(_ffi.enas_model_load_images(c_path(path, "enas.Model.load"), data.handle, ctypes.byref(out)))
        elif isinstance(data, Corpus):
            check(_ffi.enas_model_load(c_path(path, "enas.Model.load"), data.handle, ctypes.byref(out)))
        else:
            raise TypeError(f"enas.Model.load: data must be an enas.data corpus or image data, got {type(data).__name__}")
        model = cls.__new__(cls)
        Handle.__init__(model, out.value)
        arch = ctypes.c_void_p()
        check(_ffi.enas_model_architecture(model.handle, ctypes.byref(arch)))
        model.architecture = Architecture(arch.value)
        model.data = data
        return model

    def save(self, path):
        """Writes the model's whole training state to ``path`` atomically (temp file, fsync, rename)."""
        check(_ffi.enas_model_save(self.handle, c_path(path, "enas.Model.save")))

    @property
    def num_params(self):
        """The number of scalars in the model's parameters (a CNN's auxiliary head included)."""
        out = ctypes.c_int64()
        check(_ffi.enas_model_num_params(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def info(self):
        """{space, num_params, num_params_without_auxiliary, epoch, epochs, metric, and for CNNs input_shape and
        classes}."""
        return json.loads(read_text(_ffi.enas_model_info_json, self.handle))

    @property
    def num_params_without_auxiliary(self):
        """Parameters without the auxiliary head (what the network keeps after training)."""
        return self.info["num_params_without_auxiliary"]

    def train(self, epochs=None, progress=True, callback=None):
        """Trains ``epochs`` more passes over the training split (default: the config's remaining ones). Returns True
        when they all ran, False when ``callback(event)`` returned False or ``request_cancel()`` stopped it at a
        window boundary. Ctrl-C and exceptions in ``callback`` behave as in ``Search.run``."""
        function = "enas.Model.train"
        check_callback(callback, function)
        raw = -1 if epochs is None else int32(epochs, function, "epochs", minimum=0)
        handle = self.handle
        # total=None: the run's length arrives with the first event ("steps").
        return run_with_events(lambda fn: _ffi.enas_model_train(handle, raw, fn, None), None, progress, callback,
                               "train")

    def request_cancel(self):
        """Asks a training run in progress (in another thread) to stop at its next window boundary; thread-safe."""
        check(_ffi.enas_model_request_cancel(self.handle))

    def evaluate(self, split="test"):
        """The final metric on the whole split "train", "valid" or "test" in evaluation mode: perplexity for a
        recurrent cell, top-1 accuracy for a CNN."""
        metric = ctypes.c_double()
        check(_ffi.enas_model_evaluate(self.handle, c_text(split, "enas.Model.evaluate", "split"), ctypes.byref(metric)))
        return metric.value

    def predict(self, images):
        """Class probabilities (N, classes) float32 of ``images`` — (N, C, H, W) or (N, H, W), uint8 or float, on the
        training data's pixel scale — from a CNN model in evaluation mode."""
        function = "enas.Model.predict"
        array, code = _image_array(images, "images")
        shape = (ctypes.c_int64 * 4)(*array.shape)
        needed = ctypes.c_size_t()
        check(_ffi.enas_model_predict(self.handle, array.ctypes.data, code, shape, None, 0, ctypes.byref(needed)))
        out = np.empty(needed.value, dtype=np.float32)
        check(_ffi.enas_model_predict(self.handle, array.ctypes.data, code, shape,
                                      out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), out.size, ctypes.byref(needed)))
        if array.shape[0] == 0:
            raise EnasError(Status.SHAPE, f"{function}: images holds no image")
        return out.reshape(array.shape[0], -1)

    @property
    def _parameters(self):
        return Parameters(self, _ffi.enas_model_parameter_names_json, _ffi.enas_model_parameter_shape,
                          _ffi.enas_model_get_parameter, _ffi.enas_model_set_parameter)

    def parameter_names(self):
        return self._parameters.names()

    def parameters(self):
        """{name: float32 numpy copy} of the model's weights (docs/parameters.md)."""
        return self._parameters.all("enas.Model.parameters")

    def load_parameters(self, values):
        """Replaces parameters by name from {name: array}; names and shapes are all checked first (EnasError)."""
        self._parameters.load(values, "enas.Model.load_parameters")

    def __repr__(self):
        if self.closed:
            return "enas.Model(closed)"
        return f"enas.Model({self.architecture.describe()!r}, num_params={self.num_params})"


__all__ = ["Model"]
