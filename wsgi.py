from zelfzorg import create_app

app = create_app()
